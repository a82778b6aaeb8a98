import { AppError, describeError, isAppError } from "@conclave/errors";
import { collectStream } from "./collect-stream.js";
import type { CompletionRequest, LlmProvider, SkippedProvider, StreamEvent } from "./provider.js";
import { abortFailure, isCircuitOpen } from "./provider-failure.js";

/** One step of a fallback chain: a provider, and the model to ask it for (else the agent's). */
export interface FallbackTarget {
  provider: LlmProvider;
  model?: string;
}

export interface FallbackChainOptions {
  /** The chain's own name (what `LlmProvider.name` reports); each answer names its real provider. */
  name?: string;
  /** Tried in order; wrap each in `withResilience` so a failing one is retried, then skipped fast. */
  targets: readonly FallbackTarget[];
  /** When every target failed: answer this instead of failing (provider `graceful`). */
  gracefulReply?: string | ((request: CompletionRequest, skipped: readonly SkippedProvider[]) => string);
}

/** The provider name a graceful reply reports. */
export const GRACEFUL_PROVIDER = "graceful";

/**
 * A provider that asks its targets in order until one answers; the answer's `provider` and
 * `skipped` record who answered and why the others were passed over. `stream()` moves on only
 * while nothing has been yielded; `complete()` buffers, so it can move on at any point. A caller's
 * abort stops the chain.
 */
export function createFallbackChain(options: FallbackChainOptions): LlmProvider {
  const name = options.name ?? "fallback";
  if (options.targets.length === 0 && options.gracefulReply === undefined)
    throw new AppError("validation", "a fallback chain needs a target or a graceful reply");

  async function* run(request: CompletionRequest, buffered: boolean): AsyncGenerator<StreamEvent> {
    const skipped: SkippedProvider[] = [];
    let last: AppError | undefined;
    let transient = false;
    for (const target of options.targets) {
      if (request.signal?.aborted) throw abortFailure(name, request.signal);
      const model = target.model ?? (request.model || request.agent.model);
      const routed: CompletionRequest = { ...request, model };
      let yielded = false;
      try {
        if (buffered) {
          const c = await target.provider.complete(routed);
          if (c.content) yield { type: "text", delta: c.content };
          for (const call of c.toolCalls) yield { type: "tool_call", call };
          yield { type: "done", ...c, skipped: [...skipped, ...c.skipped] };
          return;
        }
        for await (const event of target.provider.stream(routed)) {
          yielded = true;
          yield event.type === "done" ? { ...event, skipped: [...skipped, ...event.skipped] } : event;
        }
        return;
      } catch (e) {
        if (yielded || request.signal?.aborted) throw e;
        const failure = isAppError(e) ? e : new AppError("unavailable", describeError(e), { cause: e });
        last = failure;
        if (!failure.permanent) transient = true;
        skipped.push({
          provider: target.provider.name,
          model,
          reason: isCircuitOpen(failure) ? "circuit_open" : "failed",
          code: failure.code,
          error: failure.message,
        });
      }
    }
    if (options.gracefulReply !== undefined) {
      const reply =
        typeof options.gracefulReply === "string"
          ? options.gracefulReply
          : options.gracefulReply(request, skipped);
      yield { type: "text", delta: reply };
      yield {
        type: "done",
        provider: GRACEFUL_PROVIDER,
        model: GRACEFUL_PROVIDER,
        usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
        finishReason: "stop",
        skipped,
      };
      return;
    }
    // Permanent only if every target failed permanently; any transient failure is worth a later retry.
    const summary = skipped.map((s) => `${s.provider}/${s.model} ${s.reason}: ${s.error}`).join("; ");
    throw new AppError(
      transient ? "unavailable" : "permanent",
      `${name}: every provider failed (${summary})`,
      {
        cause: last,
      },
    );
  }

  return {
    name,
    stream: (request) => run(request, false),
    complete: (request) => collectStream(run(request, true)),
  };
}
