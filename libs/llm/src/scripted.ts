import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@conclave/errors";
import { SCRIPTED_MAX_DELAY_MS, SCRIPTED_MAX_TOKEN_DELAY_MS } from "@conclave/subjects";
import { providerFromStream } from "./collect-stream.js";
import type { CompletionRequest, LlmProvider, StreamEvent } from "./provider.js";
import { abortFailure } from "./provider-failure.js";
import type { ScriptedVote } from "./script-options.js";

/** Rough token count for the offline provider: one token per four characters. */
const tokens = (s: string) => Math.ceil(s.length / 4);

/**
 * The offline, deterministic provider: answers from the agent's script after an optional delay, or
 * fails permanently when told to (whatever the purpose). A reply or a selector's pick is a canned
 * reply cycled by turn index plus the ask's index in the turn, else an echo, else `<name> heard: …`;
 * a ballot is exactly a JSON object `{"choice","confidence","rationale"}` from the votes cycled by
 * turn, or an abstention without votes. With `toolCalls` in the script and tools offered, a reply
 * first asks for those tools, then answers once their results are in. Text streams word by word.
 */
export function createScriptedProvider(): LlmProvider {
  const name = "scripted";
  async function* stream(request: CompletionRequest): AsyncGenerator<StreamEvent> {
    const script = request.agent.scripted ?? {};
    const signal = request.signal;
    // A delay stored before the cap existed is clamped: a sleeping call holds an executor slot.
    const delayMs = Math.min(script.delayMs ?? 0, SCRIPTED_MAX_DELAY_MS);
    if (delayMs > 0) {
      try {
        await sleep(delayMs, undefined, { signal });
      } catch (e) {
        if (signal?.aborted) throw abortFailure(name, signal);
        throw e;
      }
    }
    if (script.failWith) throw new AppError("permanent", script.failWith);

    const last = request.messages.at(-1);
    const inputTokens = request.messages.reduce(
      (n, m) => n + tokens(m.content),
      tokens(request.system ?? request.agent.systemPrompt),
    );
    const model = request.model || request.agent.model || name;
    const purpose = request.purpose ?? "reply";
    // A ballot or a selector's pick answers at once: only a reply runs the scripted tools.
    const wantsTools =
      purpose === "reply" && (script.toolCalls?.length ?? 0) > 0 && (request.tools?.length ?? 0) > 0;

    if (wantsTools && last?.role !== "tool") {
      let out = 0;
      for (const [i, c] of (script.toolCalls ?? []).entries()) {
        const args = c.args ?? {};
        out += tokens(c.name) + tokens(JSON.stringify(args));
        yield {
          type: "tool_call",
          call: { id: c.id ?? `call_${request.turnIndex}_${i}`, name: c.name, args },
        };
      }
      yield done(model, inputTokens, out, "tool_calls");
      return;
    }

    const heard = last?.content ?? "";
    const at = request.turnIndex + (request.askIndex ?? 0);
    let content: string;
    if (purpose === "ballot") content = ballot(script.votes, request.turnIndex);
    else if (script.replies && script.replies.length > 0)
      content = script.replies[at % script.replies.length] ?? "";
    else if (script.echo) content = heard;
    else content = `${request.agent.name} heard: ${heard}`;
    // Paced words (to watch streaming) wait at most the answer delay's cap in all.
    const pace = Math.min(script.tokenDelayMs ?? 0, SCRIPTED_MAX_TOKEN_DELAY_MS);
    let paced = 0;
    for (const word of content.match(/\s*\S+\s*|\s+/g) ?? []) {
      if (pace > 0 && paced > 0 && paced <= SCRIPTED_MAX_DELAY_MS) {
        try {
          await sleep(pace, undefined, { signal });
        } catch (e) {
          if (signal?.aborted) throw abortFailure(name, signal);
          throw e;
        }
      }
      paced += pace;
      yield { type: "text", delta: word };
    }
    yield done(model, inputTokens, tokens(content), "stop");
  }
  return providerFromStream(name, stream);
}

const ABSTAIN: ScriptedVote = { choice: null, confidence: 0, rationale: "no scripted vote" };

/** The ballot as the JSON object a voter answers with: the turn's scripted vote, else an abstention. */
function ballot(votes: readonly ScriptedVote[] | undefined, turnIndex: number): string {
  const vote = votes && votes.length > 0 ? votes[turnIndex % votes.length] : undefined;
  const { choice, confidence, rationale } = vote ?? ABSTAIN;
  return JSON.stringify({ choice, confidence, rationale });
}

function done(
  model: string,
  inputTokens: number,
  outputTokens: number,
  finishReason: "stop" | "tool_calls",
): StreamEvent {
  return {
    type: "done",
    provider: "scripted",
    model,
    usage: { inputTokens, outputTokens, cachedTokens: 0 },
    finishReason,
    skipped: [],
  };
}
