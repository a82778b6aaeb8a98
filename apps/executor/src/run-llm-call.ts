import { type JetStreamClient, type MessageMeta, publishEnvelope } from "@conclave/bus";
import { describeError, isAppError } from "@conclave/errors";
import type { LlmProvider } from "@conclave/llm";
import { deriveEventId, type Envelope, makeEnvelope, type Names } from "@conclave/subjects";

export interface RunLlmCallDeps {
  js: JetStreamClient;
  names: Names;
  providers: ReadonlyMap<string, LlmProvider>;
  timeoutMs: number;
  maxAttempts: number;
}

/**
 * Runs one `work.llm` item and publishes its outcome. The outcome's id derives from the work
 * item's, and a reply and a failure share it, so a redelivered item can never add a second outcome.
 */
export async function runLlmCall(
  deps: RunLlmCallDeps,
  work: Envelope<"work.llm">,
  meta: MessageMeta,
): Promise<void> {
  const { agent } = work.payload;
  const provider = deps.providers.get(agent.provider);
  const base = {
    id: deriveEventId(work.id, "outcome"),
    groupId: work.groupId,
    turnId: work.turnId,
    causationId: work.id,
    actor: { kind: "agent" as const, id: agent.id, name: agent.name },
  };
  const fail = (error: string) =>
    publishEnvelope(
      deps.js,
      deps.names,
      makeEnvelope({
        ...base,
        type: "agent.failed",
        payload: { agentId: agent.id, agentName: agent.name, error },
      }),
    );

  if (!provider) {
    await fail(`no provider ${agent.provider} in this executor`);
    return;
  }
  const t0 = Date.now();
  try {
    const completion = await provider.complete({
      agent,
      messages: work.payload.messages,
      turnIndex: work.payload.turnIndex,
      signal: AbortSignal.any([AbortSignal.timeout(deps.timeoutMs), meta.signal]),
    });
    await publishEnvelope(
      deps.js,
      deps.names,
      makeEnvelope({
        ...base,
        type: "agent.replied",
        payload: {
          agentId: agent.id,
          agentName: agent.name,
          content: completion.content,
          provider: provider.name,
          model: completion.model,
          latencyMs: Date.now() - t0,
        },
      }),
    );
    meta.log.debug({ agentId: agent.id, latencyMs: Date.now() - t0 }, "agent replied");
  } catch (e) {
    const permanent = isAppError(e) && e.permanent;
    if (!permanent && meta.deliveryCount < deps.maxAttempts) throw e;
    meta.log.warn({ agentId: agent.id, err: describeError(e), attempts: meta.deliveryCount }, "agent failed");
    await fail(describeError(e));
  }
}
