import { isRevisionConflict, type JetStreamClient, type KV, publishEnvelope } from "@conclave/bus";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { type AnyEnvelope, type Names, parseEnvelope } from "@conclave/subjects";
import { type Decision, emptyState, GroupState } from "./state.js";

const MAX_ATTEMPTS = 16;

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
}): TurnStore {
  const { kv, js, names } = deps;
  const remember = deps.remember ?? (async () => undefined);

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
      const loaded = await load(groupId);
      let { state, rev } = loaded;
      let existed = rev > 0;
      if (state.outbox.length > 0 || state.remember.length > 0) {
        await remember(groupId, state.remember);
        await publishStored(state.outbox);
        state = { ...state, outbox: [], remember: [] };
        const r = await cas(groupId, state, rev, existed);
        if (r === null) continue;
        rev = r;
        existed = true;
      }
      const decision = await decide(state);
      if (!decision) return null;
      const emit: AnyEnvelope[] = decision.emit;
      const stored = await cas(groupId, { ...decision.state, outbox: emit }, rev, existed);
      if (stored === null) continue;
      const appends = decision.state.remember;
      if (emit.length === 0 && appends.length === 0) return decision;
      // The memory first: whoever sees a turn's ending can count on the next turn remembering it.
      await remember(groupId, appends);
      await publishAll(emit);
      for (const e of emit) {
        if (e.type === "turn.started" || e.type === "turn.completed" || e.type === "turn.failed") {
          deps.log.info({ groupId, turnId: e.turnId, eventId: e.id }, e.type);
        }
      }
      // If this loses a race, the winner flushed the same outbox first (publishing is idempotent).
      await cas(groupId, { ...decision.state, outbox: [], remember: [] }, stored, true);
      return { ...decision, state: { ...decision.state, remember: [] } };
    }
    throw new AppError("unavailable", `turn state of group ${groupId} kept changing; will retry`);
  }
}
