import { type JetStreamManager, type KV, readEnvelope } from "@conclave/bus";
import type { Db } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import {
  agentBudget,
  appendTurn,
  applyReset,
  applySummary,
  assembleTurnMemory,
  failSummary,
  filesContext,
  loadAgent,
  loadAgents,
  loadFiles,
  loadGroup,
  type MemoryStore,
  noMemory,
  type ResolvedMemory,
  resolveMemory,
} from "@conclave/memory";
import type { Envelope, Names } from "@conclave/subjects";
import { type AgentSnapshot, deriveEventId, type Provider, SUMMARY_ASK_ID } from "@conclave/subjects";
import type { StrategyRunner } from "../graphs/runner.js";
import { openTurn, passVoteDeadline, settleAnswer } from "./graph-steps.js";
import {
  CANCELLED_LIMIT,
  cancelDetail,
  cancelQueued,
  chargeTokens,
  type Decision,
  failTurn,
  type GroupState,
  joinDecisions,
  type MemoryPlan,
  RECENT_LIMIT,
  skipTurn,
  timeOutTurn,
} from "./state.js";
import { awaitApproval, completeTool, decideTool, requestTools } from "./tool-loop.js";
import type { TurnDefaults } from "./turn-spec.js";
import type { TurnStore } from "./turn-store.js";

export interface TurnEngine {
  /** A message arrived at stream seq `seq`: start it, queue it, refuse it or let it interrupt, by the group's policy. */
  onMessagePosted(e: Envelope<"message.posted">, seq: number): Promise<void>;
  onAgentSettled(e: Envelope<"agent.replied"> | Envelope<"agent.failed">, seq?: number): Promise<void>;
  onMemorySummarized(e: Envelope<"memory.summarized">): Promise<void>;
  onMemoryReset(e: Envelope<"memory.reset">, seq: number): Promise<void>;
  onDeadline(groupId: string, turnId: string): Promise<void>;
  onVoteDeadline(groupId: string, turnId: string, voteId: string): Promise<void>;
  onCancelRequested(e: Envelope<"turn.cancel_requested">): Promise<void>;
  onToolRequested(e: Envelope<"agent.tool_requested">): Promise<void>;
  onToolCompleted(e: Envelope<"tool.completed">): Promise<void>;
  onApprovalRequested(e: Envelope<"tool.approval_requested">): Promise<void>;
  onToolDecided(e: Envelope<"tool.approved"> | Envelope<"tool.denied">): Promise<void>;
}

/**
 * Turn control for every group: one turn at a time, in order of acceptance. The queue of a group
 * is its `message.posted` subject in the stream; the state keeps a cursor into it. Who speaks
 * within a turn is the strategy's LangGraph graph, resumed by one event at a time from the
 * checkpoint the group state pins.
 */
export function createTurnEngine(deps: {
  store: TurnStore;
  jsm: JetStreamManager;
  db: Db;
  names: Names;
  runner: StrategyRunner;
  /** The `reject` policy's claims, released here when their turn ends. */
  inflight: KV;
  log: Logger;
  defaults: TurnDefaults;
  /** Rounds of tool calls one agent may make in an ask. */
  maxToolSteps: number;
  /** The groups' memory; without it no turn remembers anything. */
  memory?: MemoryStore;
  /** Who summarizes for groups that name no summarizer agent (null: nobody). */
  defaultSummarizer?: { provider: Provider; model: string } | null;
  now?: () => Date;
}): TurnEngine {
  const { store, jsm, db, names, runner, log } = deps;
  const now = deps.now ?? (() => new Date());

  /** The next valid message after `afterSeq`; a poison one is passed over (the durable consumer dead-letters it). */
  const readMessage = async (
    groupId: string,
    afterSeq: number,
  ): Promise<{ seq: number; message: Envelope<"message.posted"> } | null> => {
    for (let from = afterSeq + 1; ; ) {
      const stored = await jsm.direct.getMessage(names.stream("conv"), {
        seq: from,
        next_by_subj: names.groupTypeFilter(groupId, "message.posted"),
      });
      if (!stored) return null;
      const read = readEnvelope(names, stored);
      if (read.ok && read.envelope.type === "message.posted")
        return { seq: stored.seq, message: read.envelope };
      log.warn(
        { groupId, seq: stored.seq, reason: read.ok ? `a ${read.envelope.type}` : read.reason },
        "not a valid message.posted on the group's queue; passed over",
      );
      from = stored.seq + 1;
    }
  };

  /** The turn of the first message after the cursor, or null when the group is busy or idle. */
  const startNext = async (state: GroupState, pokeSeq?: number): Promise<Decision | null> => {
    if (state.active) return null;
    let s = state;
    let skipped: Decision | null = null;
    // A poke by a new message: read the group alongside the stream (one round trip, not two). After
    // a turn ended, usually nothing is queued: the group is read only once a message is found.
    let loadingGroup: ReturnType<typeof loadGroup> | undefined;
    const groupOf = () => {
      loadingGroup ??= loadGroup(db, state.groupId);
      return loadingGroup;
    };
    if (pokeSeq !== undefined) groupOf().catch(() => undefined);
    for (;;) {
      const found = await readMessage(s.groupId, s.cursor);
      // The poking message is in the stream; not seeing it means a lagging replica answered.
      if (
        s.cursor === state.cursor &&
        pokeSeq !== undefined &&
        pokeSeq > s.cursor &&
        (!found || found.seq > pokeSeq)
      ) {
        throw new AppError("unavailable", `message at seq ${pokeSeq} not visible yet`);
      }
      if (!found) return skipped ?? (s.cursor === state.cursor ? null : { state: s, emit: [] });
      const { seq, message } = found;
      const turnId = message.turnId ?? message.id;
      // A fork's copy of another group's message: its turn ran there, so the queue moves past it.
      if (s.recent.includes(message.id) || message.forkedFrom) {
        s = { ...s, cursor: seq };
        continue;
      }
      const group = await groupOf();
      const at = now();
      const skip = (reason: "cancelled" | "interrupted", detail: string) => {
        const d = skipTurn(s, message, seq, reason, detail, at);
        skipped = skipped ? joinDecisions(skipped, d) : d;
        s = d.state;
      };
      const cancelled = s.cancelled.find((c) => c.turnId === turnId);
      if (cancelled?.ended) {
        // Its turn.failed went out when the cancel came: skip it without a word.
        s = {
          ...s,
          cursor: seq,
          recent: [...s.recent, message.id].slice(-RECENT_LIMIT),
          cancelled: s.cancelled.filter((c) => c.turnId !== turnId),
        };
        const before = skipped as Decision | null;
        skipped = before ? { ...before, state: s } : { state: s, emit: [] };
        continue;
      }
      if (cancelled) {
        skip("cancelled", "cancelled before it started");
        continue;
      }
      // Under `interrupt`, a newer message already waiting supersedes this one before it starts.
      if (group?.settings.concurrentInput === "interrupt" && (await readMessage(s.groupId, seq))) {
        skip("interrupted", "superseded by a newer message before it started");
        continue;
      }
      const begun = await begin(s, message, seq, group);
      return skipped ? joinDecisions(skipped, begun) : begun;
    }
  };

  const begin = async (
    state: GroupState,
    message: Envelope<"message.posted">,
    seq: number,
    group: Awaited<ReturnType<typeof loadGroup>>,
  ): Promise<Decision> => {
    const settings = resolveMemory(group?.settings.memory);
    const remembers = settings.enabled && deps.memory !== undefined;
    const [agents, files, record, summarizer] = await Promise.all([
      loadAgents(db, state.groupId),
      loadFiles(db, state.groupId),
      remembers ? deps.memory?.read(state.groupId) : undefined,
      remembers ? summarizerOf(state.groupId, settings) : null,
    ]);
    const context = filesContext(files);
    let memory: { plan: MemoryPlan | null; turn: ReturnType<typeof noMemory> } = {
      plan: null,
      turn: noMemory(context),
    };
    if (record) {
      // Turns that ended in this very decision are not in the stored record yet.
      let r = record;
      for (const a of state.remember) r = appendTurn(r, a, now())?.record ?? r;
      memory = {
        plan: { memory: settings, retain: largestWindow(settings, agents), summarizer },
        turn: assembleTurnMemory({ record: r, memory: settings, agents, files: context }),
      };
    }
    return openTurn({
      runner,
      state,
      message,
      seq,
      agents,
      group,
      memory,
      defaults: deps.defaults,
      now: now(),
    });
  };

  /** The group's summarizer: its configured agent, else the deployment's default model, else none. */
  const summarizerOf = async (groupId: string, settings: ResolvedMemory): Promise<AgentSnapshot | null> => {
    if (settings.summarizerAgentId) {
      const agent = await loadAgent(db, settings.summarizerAgentId);
      if (agent) return { ...agent, allowedTools: [] };
      log.warn(
        { groupId, agentId: settings.summarizerAgentId },
        "the group's summarizer agent is gone or disabled",
      );
    }
    const d = deps.defaultSummarizer;
    if (!d) return null;
    return {
      id: deriveEventId(groupId, "summarizer"),
      name: "summarizer",
      provider: d.provider,
      model: d.model,
      systemPrompt: "You write faithful, compact summaries of conversations.",
      allowedTools: [],
      scripted: {},
    };
  };

  const changeMemory = async (groupId: string, change: Parameters<MemoryStore["transact"]>[1]) => {
    if (deps.memory) await deps.memory.transact(groupId, change);
  };

  /** After a turn ends, the next queued message starts in the same transaction. */
  const thenStartNext = async (d: Decision | null): Promise<Decision | null> => {
    if (!d || d.state.active) return d;
    const next = await startNext(d.state);
    return next ? joinDecisions(d, next) : d;
  };

  const settle = (state: GroupState, e: Envelope<"agent.replied"> | Envelope<"agent.failed">, seq?: number) =>
    settleAnswer(runner, state, e, now(), seq);

  /** Compacts finished turns' checkpoints and releases their `reject` claims (both also expire by age). */
  const afterwards = async (groupId: string, d: Decision | null) => {
    for (const ended of d?.ended ?? []) {
      try {
        if (ended.thread) await runner.compact(ended.thread);
        if (!ended.claimed) continue;
        const claim = await deps.inflight.get(groupId);
        if (
          claim?.operation === "PUT" &&
          (claim.json() as { messageId?: string }).messageId === ended.messageId
        ) {
          await deps.inflight.delete(groupId, { previousSeq: claim.revision });
        }
      } catch (err) {
        log.warn(
          { err, groupId, turnId: ended.turnId },
          "cleanup after the turn failed; the age limits will sweep it",
        );
      }
    }
  };

  const run = async (groupId: string, decide: (state: GroupState) => Promise<Decision | null>) => {
    await afterwards(groupId, await store.transact(groupId, decide));
  };

  return {
    onMessagePosted: (e, seq) =>
      run(e.groupId, async (state) => {
        const active = state.active;
        if (!active || active.messageSeq >= seq || state.recent.includes(e.id)) return startNext(state, seq);
        const group = await loadGroup(db, state.groupId);
        const policy = group?.settings.concurrentInput ?? "enqueue";
        if (policy === "interrupt") {
          const at = now();
          const stopped = failTurn(
            state,
            at,
            "interrupted",
            `interrupted by message ${e.payload.messageId}`,
            e.id,
          );
          const next = await startNext(stopped.state, seq);
          return next ? joinDecisions(stopped, next) : stopped;
        }
        if (policy === "reject") {
          // The edge refuses with 409 while its claim stands; one that slipped past (a stale claim) is refused here.
          const refused = skipTurn(
            state,
            e,
            seq,
            "rejected",
            `a turn was running (${active.turnId}); the group rejects concurrent input`,
            now(),
          );
          return { ...refused, state: { ...refused.state, cursor: state.cursor } };
        }
        return null;
      }),
    onAgentSettled: async (e, seq) => {
      if (e.type === "agent.failed" && e.payload.askId === SUMMARY_ASK_ID) {
        const workId = e.causationId;
        log.warn(
          { groupId: e.groupId, workId, error: e.payload.error },
          "a summary failed; the next turn asks again",
        );
        if (workId)
          await changeMemory(e.groupId, (r) => {
            const next = failSummary(r, workId);
            return next ? { record: next, emit: [] } : null;
          });
        return;
      }
      await run(e.groupId, async (state) => thenStartNext(await settle(state, e, seq)));
    },
    onMemorySummarized: (e) =>
      changeMemory(e.groupId, (r) => {
        const next = applySummary(r, e);
        return next ? { record: next, emit: [] } : null;
      }),
    onMemoryReset: (e, seq) =>
      changeMemory(e.groupId, (r) => {
        const next = applyReset(r, seq);
        return next ? { record: next, emit: [] } : null;
      }),
    onDeadline: (groupId, turnId) =>
      run(groupId, (state) => thenStartNext(timeOutTurn(state, turnId, now()))),
    onVoteDeadline: (groupId, turnId, voteId) =>
      run(groupId, async (state) =>
        thenStartNext(await passVoteDeadline(runner, state, turnId, voteId, now())),
      ),
    onCancelRequested: (e) =>
      run(e.groupId, async (state) => {
        const turnId = e.turnId;
        if (!turnId) return null;
        if (state.active?.turnId === turnId) {
          return thenStartNext(failTurn(state, now(), "cancelled", cancelDetail(e), e.id));
        }
        if (state.cancelled.some((c) => c.turnId === turnId)) return null;
        // Queued: with its message id it ends now; without, it ends cancelled when its turn comes.
        if (e.payload.messageId) return cancelQueued(state, e, e.payload.messageId, now());
        const cancelled = [...state.cancelled, { turnId, ended: false }].slice(-CANCELLED_LIMIT);
        return { state: { ...state, cancelled }, emit: [] };
      }),
    onToolRequested: (e) =>
      run(e.groupId, async (state) => {
        const usage = e.payload.usage;
        const charged = usage
          ? chargeTokens(state, usage.inputTokens + usage.outputTokens, now(), e.id)
          : null;
        if (charged && !charged.state.active) return thenStartNext(charged);
        const base = charged?.state ?? state;
        const requested = requestTools(base, e, now(), deps.maxToolSteps);
        if (!requested) return charged;
        if (!requested.failed) return requested;
        const settled = await settle(requested.state, requested.failed);
        return thenStartNext(settled ? { ...settled, emit: [requested.failed, ...settled.emit] } : requested);
      }),
    onToolCompleted: (e) => run(e.groupId, async (state) => completeTool(state, e, now())),
    onApprovalRequested: (e) => run(e.groupId, async (state) => awaitApproval(state, e)),
    onToolDecided: (e) => run(e.groupId, async (state) => decideTool(state, e, now())),
  };
}

/** The largest window any of the turn's agents has: without a summarizer, what memory keeps. */
function largestWindow(settings: ResolvedMemory, agents: readonly AgentSnapshot[]) {
  let windowTokens = settings.windowTokens;
  let maxMessages = settings.maxMessages;
  for (const a of agents) {
    const b = agentBudget(settings, a);
    windowTokens = Math.max(windowTokens, b.windowTokens);
    maxMessages = Math.max(maxMessages, b.maxMessages);
  }
  return { windowTokens, maxMessages };
}
