import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@conclave/errors";
import type { Completion, CompletionRequest, LlmProvider } from "./provider.js";

/** Rough token count for the offline provider: one token per four characters. */
const tokens = (s: string) => Math.ceil(s.length / 4);

/**
 * The offline, deterministic provider: answers from the agent's script (canned replies cycled by
 * turn, or an echo), after an optional delay, or fails permanently when told to.
 */
export function createScriptedProvider(): LlmProvider {
  return {
    name: "scripted",
    async complete(request: CompletionRequest): Promise<Completion> {
      const script = request.agent.scripted;
      if (script.delayMs) await sleep(script.delayMs, undefined, { signal: request.signal });
      if (script.failWith) throw new AppError("permanent", script.failWith);
      const last = request.messages.at(-1)?.content ?? "";
      let content: string;
      if (script.replies && script.replies.length > 0)
        content = script.replies[request.turnIndex % script.replies.length] ?? "";
      else if (script.echo) content = last;
      else content = `${request.agent.name} heard: ${last}`;
      const input = request.messages.reduce(
        (n, m) => n + tokens(m.content),
        tokens(request.agent.systemPrompt),
      );
      return {
        content,
        model: request.agent.model || "scripted",
        usage: { inputTokens: input, outputTokens: tokens(content) },
      };
    },
  };
}
