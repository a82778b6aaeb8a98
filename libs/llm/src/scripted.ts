import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@conclave/errors";
import { providerFromStream } from "./collect-stream.js";
import type { CompletionRequest, LlmProvider, StreamEvent } from "./provider.js";
import { abortFailure } from "./provider-failure.js";

/** Rough token count for the offline provider: one token per four characters. */
const tokens = (s: string) => Math.ceil(s.length / 4);

/**
 * The offline, deterministic provider: answers from the agent's script (canned replies cycled by
 * turn, or an echo), after an optional delay, or fails permanently when told to. With
 * `toolCalls` in the script and tools offered, it first asks for those tools, then answers once
 * their results are in. Text streams word by word.
 */
export function createScriptedProvider(): LlmProvider {
  const name = "scripted";
  async function* stream(request: CompletionRequest): AsyncGenerator<StreamEvent> {
    const script = request.agent.scripted ?? {};
    const signal = request.signal;
    if (script.delayMs) {
      try {
        await sleep(script.delayMs, undefined, { signal });
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
    const wantsTools = (script.toolCalls?.length ?? 0) > 0 && (request.tools?.length ?? 0) > 0;

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
    let content: string;
    if (script.replies && script.replies.length > 0)
      content = script.replies[request.turnIndex % script.replies.length] ?? "";
    else if (script.echo) content = heard;
    else content = `${request.agent.name} heard: ${heard}`;
    for (const word of content.match(/\s*\S+\s*|\s+/g) ?? []) yield { type: "text", delta: word };
    yield done(model, inputTokens, tokens(content), "stop");
  }
  return providerFromStream(name, stream);
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
