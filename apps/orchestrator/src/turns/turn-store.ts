import { isRevisionConflict, type JetStreamClient, type KV, publishEnvelope } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { type AnyEnvelope, type Envelope, type Names, parseEnvelope } from "@conclave/subjects";
import { traceIdOf } from "@conclave/telemetry";
import { type Decision, emptyState, GroupState } from "./state.js";
import { traceEvents } from "./trace-events.js";

const MAX_ATTEMPTS = 16;
/** Groups whose last stored state this process keeps (for deciding without reading it first). */
const KNOWN_GROUPS = 4_096;
/** After a conflict on a state this process knew, how many transactions read the group fresh. */
const CONTENDED_TRANSACTIONS = 32;

export interface TurnStore {
  /**
   * Runs `decide` on the group's current state and stores the result by compare-and-set, retrying
   * on a concurrent change. Decided events go through the state's outbox (ended turns through its
   * `remember` list, appended to the group's memory first): stored with the state, then published
   * (with deterministic ids), then cleared, so a crash anywhere re-publishes, never loses.
   * Resolves to the decision that was stored (null when there was nothing to do).
   */
  transact(
    groupId: string,
    decide: (state: GroupState) => Promise<Decision | null>,
  ): Promise<Decision | null>;
  read(groupId: string): Promise<GroupState>;
}

export function createTurnStore(deps: {
  kv: KV;
  js: JetStreamClient;
  names: Names;
  log: Logger;
  /** Appends ended turns to their group's memory (idempotently), before their events go out. */
  remember?: (groupId: string, appends: GroupState["remember"]) => Promise<void>;
  /**
   * How close a running turn's deadline must be for its published outbox to stay in the stored
   * state until the group's next transaction (0: always cleared at once). Keep it well under the
   * streams' duplicate window: whoever reads the outbox before then publishes it again.
   */
  lingerMs?: number;
  now?: () => number;
  /** Told of each ended turn and each lost compare-and-set (metrics). */
  observe?: {
    turnEnded(e: Envelope<"turn.completed" | "turn.failed">, strategy: string): void;
    conflict(): void;
  };
}): TurnStore {
  const { kv, js, names } = deps;
  const remember = deps.remember ?? (async () => undefined);
  const lingerMs = deps.lingerMs ?? 0;
  const now = deps.now ?? Date.now;
  /**
   * A mid-turn decision's events are answered by more events (the agents' replies, the deadline's
   * timer), each a transaction on this group that replaces the stored outbox anyway: clearing it
   * in a write of its own costs a round trip per step. It may stay when the turn's deadline is
   * near enough that the group is read again within the duplicate window, however the turn goes:
   * a replica (or this one, after a restart) that reads it meanwhile publishes it again, and
   * JetStream drops the copies by their ids. A turn's end, and anything remembered, is cleared at once.
   */
  const mayLinger = (state: GroupState): boolean => {
    const deadline = state.active?.deadline;
    if (lingerMs <= 0 || !deadline || state.remember.length > 0) return false;
    return Date.parse(deadline) - now() < lingerMs;
  };

  // The state this process stored last, per group: the next transaction decides on it and lets the
  // compare-and-set tell whether another replica changed it meanwhile (a round trip saved when not).
  // A group that another replica also handles is read fresh for a while after a conflict.
  // A known state has no outbox: one that lingers in the stored state was published (see mayLinger).
  const known = new Map<string, { state: GroupState; rev: number }>();
  const contended = new Map<string, number>();
  const remembered = (groupId: string, state: GroupState, rev: number) => {
    known.delete(groupId);
    known.set(groupId, { state, rev });
    if (known.size > KNOWN_GROUPS) known.delete(known.keys().next().value as string);
  };

  const cool = (groupId: string) => {
    const left = contended.get(groupId);
    if (left === undefined) return;
    if (left <= 1) contended.delete(groupId);
    else contended.set(groupId, left - 1);
  };

  const load = async (groupId: string): Promise<{ state: GroupState; rev: number }> => {
    const entry = await kv.get(groupId);
    if (entry?.operation !== "PUT") return { state: emptyState(groupId), rev: entry?.revision ?? 0 };
    return { state: GroupState.parse(entry.json()), rev: entry.revision };
  };

  /** Returns the new revision, or null when another replica changed the state first. */
  const cas = async (
    groupId: string,
    state: GroupState,
    rev: number,
    existed: boolean,
  ): Promise<number | null> => {
    const data = JSON.stringify(state);
    try {
      return existed ? await kv.update(groupId, data, rev) : await kv.create(groupId, data);
    } catch (e) {
      if (isRevisionConflict(e)) return null;
      throw new AppError("unavailable", "turn state could not be stored", { cause: e });
    }
  };

  // A stored outbox comes back from KV as JSON: it is read against the catalog again.
  const publishStored = async (outbox: unknown[]) => {
    const envelopes = outbox.map((raw) => {
      const parsed = parseEnvelope(raw);
      if (!parsed.ok)
        throw new AppError("internal", `outbox holds an invalid envelope: ${JSON.stringify(parsed.issues)}`);
      return parsed.envelope;
    });
    await publishAll(envelopes);
  };
  // Sent in call order on one connection, so JetStream stores them in order; acks are awaited together.
  const publishAll = async (envelopes: readonly AnyEnvelope[]) => {
    await Promise.all(envelopes.map((e) => publishEnvelope(js, names, e)));
  };

  // One transaction per group at a time in this process; compare-and-set guards across replicas.
  const queues = new Map<string, Promise<unknown>>();
  const serialized = <T>(groupId: string, fn: () => Promise<T>): Promise<T> => {
    const run = (queues.get(groupId) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    queues.set(groupId, tail);
    void tail.then(() => {
      if (queues.get(groupId) === tail) queues.delete(groupId);
    });
    return run;
  };

  return {
    read: async (groupId) => (await load(groupId)).state,
    transact: (groupId, decide) => serialized(groupId, () => transactNow(groupId, decide)),
  };

  async function transactNow(
    groupId: string,
    decide: (state: GroupState) => Promise<Decision | null>,
  ): Promise<Decision | null> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const cached = attempt === 1 && !contended.has(groupId) ? known.get(groupId) : undefined;
      known.delete(groupId);
      const loaded = cached ?? (await load(groupId));
      let { state, rev } = loaded;
      let existed = rev > 0;
      const conflict = () => {
        deps.observe?.conflict();
        // Deciding on what this process knew lost to another replica: read fresh for a while.
        if (cached) contended.set(groupId, CONTENDED_TRANSACTIONS);
      };
      if (state.outbox.length > 0 || state.remember.length > 0) {
        await remember(groupId, state.remember);
        await publishStored(state.outbox);
        state = { ...state, outbox: [], remember: [] };
        const r = await cas(groupId, state, rev, existed);
        if (r === null) {
          conflict();
          continue;
        }
        rev = r;
        existed = true;
      }
      let decision: Decision | null;
      try {
        decision = await decide(state);
      } catch (e) {
        // A stale state can point at what another replica already cleaned up (a purged checkpoint).
        if (cached) continue;
        throw e;
      }
      if (!decision) {
        // "Nothing to do" on what this process knew may be stale (another replica may have moved
        // on): only a fresh read can say so, or the event would be dropped.
        if (cached) continue;
        remembered(groupId, state, rev);
        return null;
      }
      // Stamped before they are stored: a re-publish from the outbox carries the same context.
      const emit: AnyEnvelope[] = traceEvents(decision.emit, [state.active, decision.state.active]);
      const stored = await cas(groupId, { ...decision.state, outbox: emit }, rev, existed);
      if (stored === null) {
        conflict();
        continue;
      }
      cool(groupId);
      const appends = decision.state.remember;
      if (emit.length === 0 && appends.length === 0) {
        remembered(groupId, decision.state, stored);
        return decision;
      }
      // The memory first: whoever sees a turn's ending can count on the next turn remembering it.
      await remember(groupId, appends);
      await publishAll(emit);
      for (const e of emit) {
        if (e.type === "turn.started" || e.type === "turn.completed" || e.type === "turn.failed") {
          // The turn's trace, which is not the active one when another turn's step started it.
          const traceId = traceIdOf(e.traceparent);
          deps.log.info(
            { groupId, turnId: e.turnId, eventId: e.id, ...(traceId ? { traceId } : {}) },
            e.type,
          );
        }
        if (e.type === "turn.completed" || e.type === "turn.failed")
          deps.observe?.turnEnded(e, strategyOf(e.turnId, state, emit));
      }
      const cleared = { ...decision.state, outbox: [], remember: [] };
      if (mayLinger(decision.state)) {
        remembered(groupId, cleared, stored);
        return { ...decision, state: cleared };
      }
      // If this loses a race, the winner flushed the same outbox first (publishing is idempotent).
      const last = await cas(groupId, cleared, stored, true);
      if (last !== null) remembered(groupId, cleared, last);
      return { ...decision, state: cleared };
    }
    throw new AppError("unavailable", `turn state of group ${groupId} kept changing; will retry`);
  }
}

/** The strategy of an ending turn: the running one's, or the one it started with in this same decision. */
function strategyOf(turnId: string | null, before: GroupState, emit: readonly AnyEnvelope[]): string {
  for (const e of emit) if (e.type === "turn.started" && e.turnId === turnId) return e.payload.strategy;
  return before.active?.turnId === turnId ? (before.active?.strategy ?? "none") : "none";
}
