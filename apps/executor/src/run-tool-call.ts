import { type JetStreamClient, type KV, type MessageMeta, publishEnvelope } from "@conclave/bus";
import { deriveEventId, type Envelope, makeEnvelope, type Names } from "@conclave/subjects";
import { inSpan, SpanKind } from "@conclave/telemetry";
import { runTool, type ToolRegistry, type ToolRunResult } from "@conclave/tools";

export interface RunToolCallDeps {
  js: JetStreamClient;
  names: Names;
  tools: ToolRegistry;
  /** The tool ledger: idempotency key → pending, then committed with the result. */
  ledger: KV;
  /** Told of each answered call (metrics). */
  observe?:
    | ((tool: string, ok: boolean, durationMs: number | undefined, replayed: boolean) => void)
    | undefined;
}

interface LedgerEntry {
  status: "pending" | "committed";
  startedAt: string;
  outcome?: ToolRunResult;
  durationMs?: number;
}

/**
 * Runs one `work.tool` item exactly once in effect: the ledger is checked first, and a call it
 * already committed (a redelivery, a replay) answers its recorded result without running again.
 * A crash between the run and the commit leaves `pending`: that call runs again, with the same key
 * passed to the tool so a side effect outside can be deduplicated there.
 */
export async function runToolCall(
  deps: RunToolCallDeps,
  work: Envelope<"work.tool">,
  meta: MessageMeta,
): Promise<void> {
  const { agent, call, key, step } = work.payload;
  if (
    deps.tools.get(call.name)?.requiresApproval &&
    work.payload.approved !== true &&
    agent.allowedTools.includes(call.name)
  ) {
    // Nothing runs until a person decides; the orchestrator sends the call back approved, or refuses it.
    await publishEnvelope(
      deps.js,
      deps.names,
      makeEnvelope({
        id: deriveEventId(work.id, "outcome"),
        type: "tool.approval_requested",
        groupId: work.groupId,
        turnId: work.turnId,
        causationId: work.id,
        actor: { kind: "agent", id: agent.id, name: agent.name },
        payload: { agentId: agent.id, step, callId: call.id, name: call.name, args: call.args, key },
      }),
    );
    meta.log.info({ tool: call.name, key }, "tool call waits for approval");
    return;
  }
  const ledgerKey = `call.${key}`;
  const existing = await deps.ledger.get(ledgerKey);
  let entry = existing && existing.operation === "PUT" ? (existing.json() as LedgerEntry) : undefined;
  let replayed = true;
  if (entry?.status !== "committed" || !entry.outcome) {
    replayed = false;
    if (entry?.status === "pending")
      meta.log.warn({ key }, "tool call was started before and not committed; running it again");
    await deps.ledger.put(
      ledgerKey,
      JSON.stringify({ status: "pending", startedAt: new Date().toISOString() } satisfies LedgerEntry),
    );
    const t0 = Date.now();
    const outcome = await inSpan(
      "conclave.executor",
      `execute_tool ${call.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": call.name,
          "gen_ai.tool.call.id": call.id,
          "gen_ai.agent.id": agent.id,
        },
      },
      async (span) => {
        const result = await runTool(deps.tools, {
          name: call.name,
          args: call.args,
          allowedTools: agent.allowedTools,
          groupId: work.groupId,
          ...(agent.ownerId ? { accountId: agent.ownerId } : {}),
          idempotencyKey: key,
          agent: { id: agent.id, name: agent.name },
          ...(work.turnId ? { turnId: work.turnId } : {}),
          ...(work.payload.approved ? { approved: true } : {}),
          signal: meta.signal,
        });
        if (!result.ok) span.setAttribute("error.type", result.error.code);
        return result;
      },
    );
    entry = {
      status: "committed",
      startedAt: new Date(t0).toISOString(),
      outcome,
      durationMs: Date.now() - t0,
    };
    await deps.ledger.put(ledgerKey, JSON.stringify(entry));
  }
  const outcome = entry.outcome as ToolRunResult;
  await publishEnvelope(
    deps.js,
    deps.names,
    makeEnvelope({
      id: deriveEventId(work.id, "outcome"),
      type: "tool.completed",
      groupId: work.groupId,
      turnId: work.turnId,
      causationId: work.id,
      actor: { kind: "agent", id: agent.id, name: agent.name },
      payload: {
        agentId: agent.id,
        step,
        callId: call.id,
        name: call.name,
        key,
        ok: outcome.ok,
        ...(outcome.ok
          ? { result: outcome.result }
          : { error: { code: outcome.error.code, message: outcome.error.message.slice(0, 4000) } }),
        durationMs: entry.durationMs ?? 0,
        replayed,
      },
    }),
  );
  meta.log.info(
    { tool: call.name, ok: outcome.ok, replayed, durationMs: entry.durationMs },
    "tool call done",
  );
  // A model may name any tool: only registered names become label values.
  deps.observe?.(deps.tools.get(call.name) ? call.name : "unknown", outcome.ok, entry.durationMs, replayed);
}
