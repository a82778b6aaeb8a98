import { type JetStreamClient, type MessageMeta, publishEnvelope } from "@conclave/bus";
import { describeError, isAppError } from "@conclave/errors";
import { type LlmProvider, linkedAbort, type StreamDone, type ToolCall } from "@conclave/llm";
import { countTokens } from "@conclave/memory";
import {
  type AgentSnapshot,
  deriveEventId,
  type Envelope,
  makeEnvelope,
  type Names,
  REPLACEMENT_CHARACTER,
  SUMMARY_ASK_ID,
  toStorable,
  workOutcomeId,
} from "@conclave/subjects";
import { inSpan, SpanKind } from "@conclave/telemetry";
import { type ToolRegistry, toolCallKey } from "@conclave/tools";
import type { BudgetGate, Charge } from "./budget-gate.js";
import { chatAttributes, usageAttributes } from "./chat-span.js";
import type { DeltaPublisher } from "./delta-publisher.js";
import type { LlmCallLog } from "./llm-call-log.js";
import type { LlmCallObservation } from "./metrics.js";
import { costOf, type PriceBook } from "./price-book.js";

export interface RunLlmCallDeps {
  js: JetStreamClient;
  names: Names;
  /** Who answers this agent (its owner's credential, else the executor's own provider). */
  resolve: (agent: AgentSnapshot) => Promise<LlmProvider | undefined>;
  /** Streams a piece of the answer to live subscribers (core NATS: fire and forget, never persisted). */
  deltas: DeltaPublisher;
  tools: ToolRegistry;
  timeoutMs: number;
  maxAttempts: number;
  /** Keeps each call's prompt, reply and cost (absent without a database). */
  calls?: LlmCallLog | undefined;
  /** Told of each ended call (metrics). */
  observe?: ((c: LlmCallObservation) => void) | undefined;
  /** Prices calls for the ledger and money budgets (absent without a database). */
  prices?: PriceBook | undefined;
  /** Reserves each call's most before it runs and settles its use after (absent without a database). */
  budgets?: BudgetGate | undefined;
  /** What a call may answer at most when its agent sets no `maxTokens`: the reservation's output part. */
  defaultMaxOutputTokens?: number;
}

/**
 * Runs one `work.llm` item: streams the answer's deltas to live subscribers, then publishes the
 * outcome. The outcome's id derives from the work item's, and a reply and a failure share it, so a
 * redelivered item can never add a second outcome.
 */
export async function runLlmCall(
  deps: RunLlmCallDeps,
  work: Envelope<"work.llm">,
  meta: MessageMeta,
): Promise<void> {
  const { agent, ask, summarize } = work.payload;
  const provider = await deps.resolve(agent);
  // Every outcome names the ask it answers, so the orchestrator can match it to that ask.
  const askOf = ask ? { askId: ask.id } : summarize ? { askId: SUMMARY_ASK_ID } : {};
  const base = {
    id: workOutcomeId(work.id),
    groupId: work.groupId,
    turnId: work.turnId,
    causationId: work.id,
    actor: { kind: "agent" as const, id: agent.id, name: agent.name },
  };
  const started = new Date();
  // Whether a budget covers the call: only then is there a reservation to settle.
  let budgeted = false;
  // Recorded before the outcome is published: a crash before the ack redelivers the item, and its
  // second record is a no-op on the same id; its budgets are settled once, on the first.
  const record = async (
    ended:
      | { outcome: "ok"; reply: string; done: StreamDone | undefined }
      | { outcome: "failed"; error: string },
  ) => {
    const endedAt = new Date();
    const done = ended.outcome === "ok" ? ended.done : undefined;
    deps.observe?.({
      provider: done?.provider ?? provider?.name ?? agent.provider,
      model: done?.model ?? agent.model,
      outcome: ended.outcome,
      durationMs: endedAt.getTime() - started.getTime(),
      inputTokens: done?.usage.inputTokens ?? null,
      outputTokens: done?.usage.outputTokens ?? null,
    });
    const usage = done?.usage ?? { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
    const price = deps.prices
      ? await deps.prices.priceAt(done?.provider ?? agent.provider, done?.model ?? agent.model, started)
      : undefined;
    const cost = price ? costOf(price, usage) : null;
    if (deps.calls)
      await recordCall(endedAt, done, ended, {
        cost,
        ...(price ? { currency: price.currency, priceId: price.id } : {}),
      });
    if (deps.budgets && budgeted) {
      const warnings = await deps.budgets.settle({
        workId: work.id,
        used: { tokens: usage.inputTokens + usage.outputTokens, cost },
      });
      for (const w of warnings)
        await publishEnvelope(
          deps.js,
          deps.names,
          makeEnvelope({
            ...base,
            // Once per budget and period: the period row's `warned_at` is set in the settlement.
            id: deriveEventId(w.budgetId, `budget.warning:${w.periodStart}`),
            type: "budget.warning",
            payload: w,
          }),
        );
    }
  };
  const recordCall = async (
    endedAt: Date,
    done: StreamDone | undefined,
    ended: { outcome: "ok"; reply: string } | { outcome: "failed"; error: string },
    priced: { cost: number | null; currency?: string; priceId?: string },
  ) => {
    if (!deps.calls) return;
    // One pass over the whole record: text PostgreSQL cannot store (NUL) becomes U+FFFD.
    await deps.calls.record(
      toStorable({
        id: work.id,
        groupId: work.groupId,
        turnId: work.turnId,
        agentId: agent.id,
        agentName: agent.name,
        accountId: agent.ownerId ?? null,
        askId: ask?.id ?? (summarize ? SUMMARY_ASK_ID : null),
        purpose: summarize ? "summary" : (ask?.purpose ?? "reply"),
        step: work.payload.step,
        provider: done?.provider ?? provider?.name ?? agent.provider,
        model: done?.model ?? agent.model,
        systemPrompt: agent.systemPrompt,
        messages: work.payload.messages,
        reply: ended.outcome === "ok" ? ended.reply : null,
        startedAt: started.toISOString(),
        endedAt: endedAt.toISOString(),
        durationMs: endedAt.getTime() - started.getTime(),
        inputTokens: done?.usage.inputTokens ?? null,
        outputTokens: done?.usage.outputTokens ?? null,
        cachedTokens: done?.usage.cachedTokens ?? null,
        cost: priced.cost === null ? null : priced.cost.toFixed(8),
        currency: priced.currency ?? null,
        priceId: priced.priceId ?? null,
        outcome: ended.outcome,
        error: ended.outcome === "failed" ? ended.error : null,
      }),
    );
  };
  const fail = async (error: string, reason?: "budget") => {
    // A refused call never ran: nothing to record or settle.
    if (!reason) await record({ outcome: "failed", error });
    await publishEnvelope(
      deps.js,
      deps.names,
      makeEnvelope({
        ...base,
        type: "agent.failed",
        payload: {
          agentId: agent.id,
          ...askOf,
          agentName: agent.name,
          error: toStorable(error),
          ...(reason ? { reason } : {}),
        },
      }),
    );
  };

  if (!provider) {
    await fail(`provider ${agent.provider} is not configured in this executor`);
    return;
  }
  if (deps.budgets) {
    const reservation = await deps.budgets.reserve({
      workId: work.id,
      accountId: agent.ownerId ?? null,
      groupId: work.groupId,
      at: started,
      most: () => mostOf(deps, work, started),
    });
    budgeted = reservation.ok && reservation.budgets > 0;
    if (!reservation.ok) {
      const r = reservation.refused;
      await publishEnvelope(
        deps.js,
        deps.names,
        makeEnvelope({
          ...base,
          id: deriveEventId(work.id, "budget.exceeded"),
          type: "budget.exceeded",
          payload: {
            ...r,
            agentId: agent.id,
            agentName: agent.name,
            ...askOf,
            workId: work.id,
            requested: reservation.requested,
          },
        }),
      );
      meta.log.info(
        { agentId: agent.id, budgetId: r.budgetId, requested: reservation.requested },
        "call refused by budget",
      );
      await fail(`the ${r.scope}'s ${r.period} ${r.unit} budget of ${r.cap} would be exceeded`, "budget");
      return;
    }
  }
  const t0 = Date.now();
  // The call's whole time, or the consumer's shutdown, whichever ends first.
  const callAbort = linkedAbort({ parent: meta.signal, timeoutMs: deps.timeoutMs });
  try {
    // A summary is plain text for the group's memory: no tools, nothing streamed to the room.
    const tools = summarize ? [] : deps.tools.definitions(agent.allowedTools);
    const { content, calls, done } = await inSpan(
      "conclave.executor",
      `chat ${agent.model}`,
      { kind: SpanKind.CLIENT, attributes: chatAttributes(agent, provider.name) },
      async (span) => {
        let content = "";
        let done: StreamDone | undefined;
        const calls: ToolCall[] = [];
        try {
          for await (const ev of provider.stream({
            agent,
            messages: work.payload.messages,
            ...(tools.length > 0 ? { tools } : {}),
            turnIndex: work.payload.turnIndex,
            askIndex: ask?.index ?? 0,
            purpose: ask?.purpose ?? "reply",
            ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
            ...(agent.maxTokens !== undefined ? { maxOutputTokens: agent.maxTokens } : {}),
            signal: callAbort.signal,
          })) {
            if (ev.type === "text") {
              // Model output may hold NUL, which no history can store: it becomes U+FFFD, live and recorded
              // alike. Unpaired surrogates are replaced on the whole answer (a pair may span two deltas).
              const delta = ev.delta.replaceAll("\u0000", REPLACEMENT_CHARACTER);
              content += delta;
              if (!summarize)
                deps.deltas.publish({
                  groupId: work.groupId,
                  turnId: work.turnId,
                  agentId: agent.id,
                  workId: work.id,
                  text: delta,
                });
            } else if (ev.type === "tool_call") calls.push(toStorable(ev.call));
            else if (ev.type === "done") done = ev;
          }
        } finally {
          // What the call streamed goes out before its outcome (or its failure) is published.
          deps.deltas.end(work.id);
        }
        callAbort.dispose();
        if (done && span.isRecording()) span.setAttributes(usageAttributes(done));
        return { content, calls, done };
      },
    );
    if (summarize) {
      const summary = toStorable(content.trim()).slice(0, 40_000);
      await record({ outcome: "ok", reply: content, done });
      await publishEnvelope(
        deps.js,
        deps.names,
        makeEnvelope({
          ...base,
          type: "memory.summarized",
          payload: {
            ...summarize,
            summary,
            tokens: countTokens(summary),
            agentId: agent.id,
            provider: toStorable(done?.provider ?? provider.name),
            model: toStorable(done?.model ?? agent.model),
            ...(done ? { usage: done.usage } : {}),
          },
        }),
      );
      meta.log.info({ upToSeq: summarize.upToSeq, latencyMs: Date.now() - t0 }, "memory summarized");
      return;
    }
    if (calls.length > 0) {
      // The model wants tools: the orchestrator runs them (one work item each) and asks it again.
      // One run per ask: an agent asked twice in a turn (debate rounds) may repeat a call, which must
      // run again rather than share the first one's work item and outcome ids.
      await record({ outcome: "ok", reply: content, done });
      const run = `${work.turnId ?? work.groupId}:${agent.id}${ask ? `:${ask.id}` : ""}`;
      await publishEnvelope(
        deps.js,
        deps.names,
        makeEnvelope({
          ...base,
          type: "agent.tool_requested",
          payload: toStorable({
            agentId: agent.id,
            ...askOf,
            agentName: agent.name,
            step: work.payload.step,
            content,
            ...(done ? { model: done.model, usage: done.usage } : {}),
            // The position keeps two identical calls in one step apart; a replayed answer repeats it.
            calls: calls.slice(0, 20).map((c, index) => ({
              ...c,
              key: toolCallKey(run, work.payload.step, c.name, { index, args: c.args }),
            })),
          }),
        }),
      );
      meta.log.debug({ agentId: agent.id, tools: calls.map((c) => c.name) }, "agent asked for tools");
      return;
    }
    await record({ outcome: "ok", reply: content, done });
    await publishEnvelope(
      deps.js,
      deps.names,
      makeEnvelope({
        ...base,
        type: "agent.replied",
        // Provider names and errors too: nothing an outside service wrote may stall the history.
        payload: toStorable({
          agentId: agent.id,
          ...askOf,
          // Readers of the history tell answers from ballots and selector picks by it.
          purpose: ask?.purpose ?? "reply",
          agentName: agent.name,
          content,
          provider: done?.provider ?? provider.name,
          model: done?.model ?? agent.model,
          latencyMs: Date.now() - t0,
          ...(done ? { usage: done.usage } : {}),
          ...(done && done.skipped.length > 0
            ? {
                skipped: done.skipped.map((s) => ({
                  provider: s.provider,
                  model: s.model,
                  reason: s.reason,
                  error: s.error.slice(0, 1000),
                })),
              }
            : {}),
        }),
      }),
    );
    meta.log.debug({ agentId: agent.id, latencyMs: Date.now() - t0, usage: done?.usage }, "agent replied");
  } catch (e) {
    callAbort.dispose();
    const permanent = isAppError(e) && e.permanent;
    if (!permanent && meta.deliveryCount < deps.maxAttempts) throw e;
    meta.log.warn({ agentId: agent.id, err: describeError(e), attempts: meta.deliveryCount }, "agent failed");
    await fail(describeError(e));
  }
}

/** The most a call may use: its prompt (counted as the memory counts it) plus its max output, priced. */
async function mostOf(deps: RunLlmCallDeps, work: Envelope<"work.llm">, at: Date): Promise<Charge> {
  const { agent, messages } = work.payload;
  const input =
    countTokens(agent.systemPrompt) + messages.reduce((n, m) => n + countTokens(JSON.stringify(m)), 0);
  const output = agent.maxTokens ?? deps.defaultMaxOutputTokens ?? 4096;
  const price = deps.prices ? await deps.prices.priceAt(agent.provider, agent.model, at) : undefined;
  return {
    tokens: input + output,
    cost: price ? costOf(price, { inputTokens: input, outputTokens: output, cachedTokens: 0 }) : null,
  };
}
