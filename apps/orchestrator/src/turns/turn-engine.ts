import type { JetStreamManager } from "@conclave/bus";
import type { Db } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { type Envelope, type Names, parseEnvelope } from "@conclave/subjects";
import { filesContext } from "./files-context.js";
import { loadAgents } from "./load-agents.js";
import { loadFiles } from "./load-files.js";
import { type Decision, type GroupState, settleAgent, startTurn, timeOutTurn } from "./state.js";
import { awaitApproval, completeTool, decideTool, requestTools } from "./tool-loop.js";
import type { TurnStore } from "./turn-store.js";

export interface TurnEngine {
  /** A message arrived at stream seq `seq`: start the group's next turn if none is running. */
  onMessagePosted(groupId: string, seq: number): Promise<void>;
  onAgentSettled(e: Envelope<"agent.replied"> | Envelope<"agent.failed">): Promise<void>;
  onDeadline(groupId: string, turnId: string): Promise<void>;
  onToolRequested(e: Envelope<"agent.tool_requested">): Promise<void>;
  onToolCompleted(e: Envelope<"tool.completed">): Promise<void>;
  onApprovalRequested(e: Envelope<"tool.approval_requested">): Promise<void>;
  onToolDecided(e: Envelope<"tool.approved"> | Envelope<"tool.denied">): Promise<void>;
}

/**
 * Turn control for every group: one turn at a time, in order of acceptance. The queue of a group
 * is its `message.posted` subject in the stream; the state keeps a cursor into it.
 */
export function createTurnEngine(deps: {
  store: TurnStore;
  jsm: JetStreamManager;
  db: Db;
  names: Names;
  turnTimeoutMs: number;
  /** Rounds of tool calls one agent may make in a turn. */
  maxToolSteps: number;
  now?: () => Date;
}): TurnEngine {
  const { store, jsm, db, names } = deps;
  const now = deps.now ?? (() => new Date());

  /** The turn of the first message after the cursor, or null when the group is busy or idle. */
  const startNext = async (state: GroupState, pokeSeq?: number): Promise<Decision | null> => {
    if (state.active) return null;
    let cursor = state.cursor;
    for (;;) {
      const stored = await jsm.direct.getMessage(names.stream("conv"), {
        seq: cursor + 1,
        next_by_subj: names.groupTypeFilter(state.groupId, "message.posted"),
      });
      // The poking message is in the stream; not seeing it means a lagging replica answered.
      if (
        cursor === state.cursor &&
        pokeSeq !== undefined &&
        pokeSeq > cursor &&
        (!stored || stored.seq > pokeSeq)
      ) {
        throw new AppError("unavailable", `message at seq ${pokeSeq} not visible yet`);
      }
      if (!stored) return cursor === state.cursor ? null : { state: { ...state, cursor }, emit: [] };
      const parsed = parseEnvelope(stored.json());
      if (!parsed.ok || parsed.envelope.type !== "message.posted") {
        throw new AppError(
          "internal",
          `seq ${stored.seq} on the message subject is not a valid message.posted`,
        );
      }
      if (state.recent.includes(parsed.envelope.id)) {
        cursor = stored.seq;
        continue;
      }
      const [agents, files] = await Promise.all([
        loadAgents(db, state.groupId),
        loadFiles(db, state.groupId),
      ]);
      return startTurn(
        { ...state, cursor },
        parsed.envelope,
        stored.seq,
        agents,
        now(),
        deps.turnTimeoutMs,
        filesContext(files),
      );
    }
  };

  /** After a turn ends, the next queued message starts in the same transaction. */
  const thenStartNext = async (d: Decision | null): Promise<Decision | null> => {
    if (!d || d.state.active) return d;
    const next = await startNext(d.state);
    return next ? { state: next.state, emit: [...d.emit, ...next.emit] } : d;
  };

  return {
    onMessagePosted: (groupId, seq) => store.transact(groupId, (state) => startNext(state, seq)),
    onAgentSettled: (e) => store.transact(e.groupId, (state) => thenStartNext(settleAgent(state, e, now()))),
    onDeadline: (groupId, turnId) =>
      store.transact(groupId, (state) => thenStartNext(timeOutTurn(state, turnId, now()))),
    onToolRequested: (e) =>
      store.transact(e.groupId, (state) => thenStartNext(requestTools(state, e, now(), deps.maxToolSteps))),
    onToolCompleted: (e) => store.transact(e.groupId, async (state) => completeTool(state, e, now())),
    onApprovalRequested: (e) => store.transact(e.groupId, async (state) => awaitApproval(state, e)),
    onToolDecided: (e) => store.transact(e.groupId, async (state) => decideTool(state, e, now())),
  };
}
