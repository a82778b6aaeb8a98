/**
 * The fault suite's invariants, checked after each case from what the stream holds, what PostgreSQL
 * recorded, what the API answers and what every socket saw. Pure: the harness gathers, this judges.
 */

/** One event as the stream, the database or a socket carries it. */
export interface EventLite {
  id: string;
  type: string;
  groupId: string;
  turnId: string | null;
  payload: Record<string, unknown>;
}

/** One stream entry of a group's subjects; `event` is absent when the body is not a valid envelope. */
export interface StreamEntry {
  seq: number;
  storedAtMs: number;
  event?: EventLite;
}

/** A post the edge answered 202. */
export interface Accepted {
  groupId: string;
  messageId: string;
  turnId: string;
  seq: number;
}

export interface DbRows {
  events: (EventLite & { seq: number })[];
  /** Rows of `messages`: posted messages and agents' replies. */
  messages: { id: string; groupId: string; type: string }[];
  turns: { id: string; groupId: string; status: string }[];
  votes: { voteId: string; groupId: string }[];
  ballots: { eventId: string; voteId: string; groupId: string }[];
}

export interface ApiView {
  /** `GET …/turns/:turnId` of each accepted turn (status, or the HTTP status when it failed). */
  turns: { turnId: string; status: string }[];
  /** `GET …/messages`: the ids of each group's history, in the order served. */
  history: { groupId: string; ids: string[] }[];
}

/** Everything one (reconnecting) socket subscriber saw. */
export interface SocketLog {
  name: string;
  subscriptions: { groupId: string; afterSeq: number; subscribedAtMs: number }[];
  received: { groupId: string; seq: number; eventId: string; atMs: number }[];
}

export interface CheckInput {
  groups: string[];
  accepted: Accepted[];
  /** Each group's stream entries, in seq order. */
  stream: Record<string, StreamEntry[]>;
  db: DbRows;
  api: ApiView;
  sockets: SocketLog[];
  /** An event reaching a socket later than this after it was stored (or subscribed) is a stall. */
  stallBoundMs: number;
}

export interface CheckResult {
  accepted: number;
  /** Accepted messages with exactly one turn outcome. */
  outcomes: number;
  /** Accepted messages without outcome, events missing from the database, rows or socket deliveries missing. */
  lost: number;
  /** Second outcomes, events or rows twice, socket deliveries twice. */
  duplicated: number;
  /** Socket stall episodes over the bound. */
  stalls: number;
  /** The longest an event took to reach a socket. */
  maxLagMs: number;
  violations: string[];
}

const OUTCOMES = new Set(["turn.completed", "turn.failed"]);
const MESSAGE_ROW_TYPES = new Set(["message.posted", "agent.replied"]);
const MAX_PER_KIND = 10;

/** What makes two events with different ids the same fact (a duplicate), by type. */
export function logicalKey(e: EventLite): string {
  const p = e.payload;
  const s = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");
  switch (e.type) {
    case "message.posted":
      return `${e.type}|${s(p.messageId)}`;
    case "turn.started":
    case "turn.completed":
    case "turn.failed":
      return `turn.outcome-or-start|${e.type === "turn.started" ? "start" : "end"}|${e.turnId}`;
    case "agent.replied":
    case "agent.failed":
      return `agent.answer|${e.turnId}|${s(p.agentId)}|${s(p.askId)}`;
    case "vote.opened":
    case "vote.closed":
      return `${e.type}|${s(p.voteId)}`;
    case "vote.cast":
      return `${e.type}|${s(p.voteId)}|${s(p.agentId)}`;
    default:
      return `id|${e.id}`;
  }
}

function tokens(e: EventLite): number {
  const u = e.payload.usage as { inputTokens?: number; outputTokens?: number } | undefined;
  return (u?.inputTokens ?? 0) + (u?.outputTokens ?? 0);
}

export function checkInvariants(input: CheckInput): CheckResult {
  const violations: string[] = [];
  const kinds = new Map<string, number>();
  const flag = (kind: string, text: string) => {
    const n = (kinds.get(kind) ?? 0) + 1;
    kinds.set(kind, n);
    if (n <= MAX_PER_KIND) violations.push(`${kind}: ${text}`);
    else if (n === MAX_PER_KIND + 1) violations.push(`${kind}: … more`);
  };
  let lost = 0;
  let duplicated = 0;
  let outcomes = 0;
  const groups = new Set(input.groups);
  const valid = input.groups.flatMap((g) =>
    (input.stream[g] ?? []).flatMap((s) => (s.event ? [{ ...s, event: s.event }] : [])),
  );

  // The stream: no event twice (by id, and by what it means).
  const byId = new Map<string, number>();
  const byKey = new Map<string, string[]>();
  for (const { event } of valid) {
    byId.set(event.id, (byId.get(event.id) ?? 0) + 1);
    const key = logicalKey(event);
    byKey.set(key, [...(byKey.get(key) ?? []), event.id]);
  }
  for (const [id, n] of byId)
    if (n > 1) {
      duplicated += n - 1;
      flag("event twice in the stream", `${id} ×${n}`);
    }
  for (const [key, ids] of byKey) {
    const distinct = new Set(ids).size;
    if (distinct > 1) {
      duplicated += distinct - 1;
      flag("the same fact under several ids", `${key}: ${[...new Set(ids)].join(", ")}`);
    }
  }

  // Every accepted message: in the stream once, and exactly one outcome.
  const endsByTurn = new Map<string, EventLite[]>();
  for (const { event } of valid)
    if (OUTCOMES.has(event.type) && event.turnId)
      endsByTurn.set(event.turnId, [...(endsByTurn.get(event.turnId) ?? []), event]);
  const seen = new Set<string>();
  for (const a of input.accepted) {
    if (seen.has(a.turnId)) continue;
    seen.add(a.turnId);
    if (!valid.some((v) => v.event.id === a.messageId && v.event.type === "message.posted")) {
      lost++;
      flag("accepted but not in the stream", `message ${a.messageId} (turn ${a.turnId})`);
      continue;
    }
    const ends = endsByTurn.get(a.turnId) ?? [];
    if (ends.length === 0) {
      lost++;
      flag("accepted without outcome", `turn ${a.turnId} of group ${a.groupId}`);
    } else if (ends.length > 1) {
      duplicated += ends.length - 1;
      flag("more than one outcome", `turn ${a.turnId}: ${ends.map((e) => e.type).join(", ")}`);
    } else outcomes++;
  }

  // Per group: turns never overlap, and start in acceptance order.
  for (const g of input.groups) {
    const entries = (input.stream[g] ?? []).filter((s) => s.event);
    const started = new Map<string, { seq: number; messageSeq: number }>();
    const ended = new Map<string, number>();
    const postedSeq = new Map<string, number>();
    for (const s of entries) {
      const e = s.event as EventLite;
      if (e.type === "message.posted" && e.turnId) postedSeq.set(e.turnId, s.seq);
      if (e.type === "turn.started" && e.turnId && !started.has(e.turnId))
        started.set(e.turnId, {
          seq: s.seq,
          messageSeq: postedSeq.get(e.turnId) ?? Number(e.payload.messageSeq),
        });
      if (OUTCOMES.has(e.type) && e.turnId && !ended.has(e.turnId)) ended.set(e.turnId, s.seq);
    }
    const order = [...started].sort((a, b) => a[1].seq - b[1].seq);
    for (let i = 1; i < order.length; i++) {
      const [prevTurn, prev] = order[i - 1] as [string, { seq: number; messageSeq: number }];
      const [turn, cur] = order[i] as [string, { seq: number; messageSeq: number }];
      const prevEnd = ended.get(prevTurn);
      if (prevEnd === undefined || prevEnd > cur.seq)
        flag("turns overlap", `group ${g}: ${turn} started at seq ${cur.seq} before ${prevTurn} ended`);
      if (cur.messageSeq < prev.messageSeq)
        flag(
          "turns out of acceptance order",
          `group ${g}: ${turn} (message seq ${cur.messageSeq}) after ${prevTurn} (${prev.messageSeq})`,
        );
    }
  }

  // PostgreSQL: every event recorded once, and the projections hold each once.
  const streamIds = new Set(valid.map((v) => v.event.id));
  const dbEvents = input.db.events.filter((e) => groups.has(e.groupId));
  const dbIds = new Map<string, number>();
  for (const e of dbEvents) dbIds.set(e.id, (dbIds.get(e.id) ?? 0) + 1);
  for (const id of streamIds)
    if (!dbIds.has(id)) {
      lost++;
      flag("event not recorded", id);
    }
  for (const [id, n] of dbIds) {
    if (!streamIds.has(id)) flag("recorded event not in the stream", id);
    if (n > 1) {
      duplicated += n - 1;
      flag("event row twice", `${id} ×${n}`);
    }
  }
  const usageAll = dbEvents.filter((e) => e.type === "agent.replied").reduce((t, e) => t + tokens(e), 0);
  const firstByKey = new Map<string, EventLite>();
  for (const e of dbEvents) if (!firstByKey.has(logicalKey(e))) firstByKey.set(logicalKey(e), e);
  const usageOnce = [...firstByKey.values()]
    .filter((e) => e.type === "agent.replied")
    .reduce((t, e) => t + tokens(e), 0);
  if (usageAll !== usageOnce)
    flag("usage counted twice", `${usageAll} tokens recorded, ${usageOnce} once each`);

  const rows = input.db.messages.filter((m) => groups.has(m.groupId));
  const expectedRows = new Set(dbEvents.filter((e) => MESSAGE_ROW_TYPES.has(e.type)).map((e) => e.id));
  const rowIds = new Map<string, number>();
  for (const r of rows) rowIds.set(r.id, (rowIds.get(r.id) ?? 0) + 1);
  for (const id of expectedRows)
    if (!rowIds.has(id)) {
      lost++;
      flag("message or reply row missing", id);
    }
  for (const [id, n] of rowIds) {
    if (!expectedRows.has(id)) flag("message row without its event", id);
    if (n > 1) {
      duplicated += n - 1;
      flag("message row twice", `${id} ×${n}`);
    }
  }
  const turnRows = new Map<string, string[]>();
  for (const t of input.db.turns.filter((r) => groups.has(r.groupId)))
    turnRows.set(t.id, [...(turnRows.get(t.id) ?? []), t.status]);
  for (const [turnId, ends] of endsByTurn) {
    const want = ends[0]?.type === "turn.completed" ? "completed" : "failed";
    const got = turnRows.get(turnId) ?? [];
    if (got.length !== 1 || got[0] !== want)
      flag(
        "turn row disagrees with its outcome",
        `${turnId}: ${want} in the stream, [${got.join(", ")}] recorded`,
      );
  }
  const opened = new Set(
    dbEvents.filter((e) => e.type === "vote.opened").map((e) => String(e.payload.voteId)),
  );
  const voteRows = input.db.votes.filter((v) => groups.has(v.groupId)).map((v) => v.voteId);
  if (new Set(voteRows).size !== voteRows.length) {
    duplicated += voteRows.length - new Set(voteRows).size;
    flag("vote row twice", voteRows.join(", "));
  }
  for (const v of opened) if (!voteRows.includes(v)) flag("vote row missing", v);
  const casts = dbEvents.filter((e) => e.type === "vote.cast");
  const firstCasts = new Set(casts.map((e) => logicalKey(e)));
  const ballots = input.db.ballots.filter((b) => groups.has(b.groupId));
  if (ballots.length !== firstCasts.size)
    flag("ballot rows disagree with the casts", `${ballots.length} rows for ${firstCasts.size} ballots`);

  // The API: each accepted turn ended, and each history lists every message and reply once.
  for (const t of input.api.turns) {
    const ends = endsByTurn.get(t.turnId);
    if (!ends) continue;
    const want = ends[0]?.type === "turn.completed" ? "completed" : "failed";
    if (t.status !== want) flag("API turn status", `${t.turnId}: ${t.status}, the stream says ${want}`);
  }
  for (const h of input.api.history) {
    const want = new Set(
      dbEvents.filter((e) => e.groupId === h.groupId && MESSAGE_ROW_TYPES.has(e.type)).map((e) => e.id),
    );
    if (new Set(h.ids).size !== h.ids.length) {
      duplicated += h.ids.length - new Set(h.ids).size;
      flag("API history lists a message twice", h.groupId);
    }
    const missing = [...want].filter((id) => !h.ids.includes(id));
    if (missing.length > 0) {
      lost += missing.length;
      flag("API history misses messages", `${h.groupId}: ${missing.slice(0, 3).join(", ")}`);
    }
  }

  // Sockets: each event of each followed group once, in order, and never stalled past the bound.
  let stalls = 0;
  let maxLagMs = 0;
  for (const sock of input.sockets) {
    for (const sub of sock.subscriptions) {
      const expected = (input.stream[sub.groupId] ?? []).filter((s) => s.event && s.seq > sub.afterSeq);
      const got = sock.received.filter((r) => r.groupId === sub.groupId);
      const where = `${sock.name} on ${sub.groupId}`;
      let last = sub.afterSeq;
      let stalled = false;
      const bySeq = new Map(expected.map((s) => [s.seq, s]));
      const counts = new Map<number, number>();
      for (const r of got) {
        counts.set(r.seq, (counts.get(r.seq) ?? 0) + 1);
        if (r.seq <= last) flag("socket out of order or twice", `${where}: seq ${r.seq} after ${last}`);
        last = Math.max(last, r.seq);
        const entry = bySeq.get(r.seq);
        if (!entry) {
          flag("socket saw what the stream does not hold", `${where}: seq ${r.seq}`);
          continue;
        }
        if (entry.event?.id !== r.eventId) flag("socket event id differs", `${where}: seq ${r.seq}`);
        const lag = r.atMs - Math.max(entry.storedAtMs, sub.subscribedAtMs);
        maxLagMs = Math.max(maxLagMs, lag);
        if (lag > input.stallBoundMs) {
          if (!stalled) {
            stalls++;
            flag("socket stalled", `${where}: seq ${r.seq} arrived ${lag} ms after it was stored`);
          }
          stalled = true;
        } else stalled = false;
      }
      for (const [seq, n] of counts)
        if (n > 1) {
          duplicated += n - 1;
          flag("socket saw an event twice", `${where}: seq ${seq} ×${n}`);
        }
      const missing = expected.filter((s) => !counts.has(s.seq));
      if (missing.length > 0) {
        lost += missing.length;
        flag(
          "socket missed events",
          `${where}: ${missing.length} (first seq ${missing[0]?.seq}, ${missing[0]?.event?.type})`,
        );
      }
    }
  }

  return {
    accepted: seen.size,
    outcomes,
    lost,
    duplicated,
    stalls,
    maxLagMs: Math.max(0, Math.round(maxLagMs)),
    violations,
  };
}

/** One line of the suite's table. */
export interface ReportRow {
  case: string;
  accepted: number;
  outcomes: number;
  lost: number;
  duplicated: number;
  stalls: number;
  /** From the end of the fault until every accepted message had its outcome and every socket caught up. */
  recoveryMs: number | null;
  maxLagMs: number;
  durationMs: number;
  violations: number;
}

/** The rows as a markdown table. */
export function formatTable(rows: ReportRow[]): string {
  const head =
    "| case | accepted | outcomes | lost | duplicated | stalls | recovery | max lag | took | violations |";
  const sep = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  const ms = (v: number | null) => (v === null ? "–" : `${(v / 1000).toFixed(1)} s`);
  const lines = rows.map(
    (r) =>
      `| ${r.case} | ${r.accepted} | ${r.outcomes} | ${r.lost} | ${r.duplicated} | ${r.stalls} | ${ms(r.recoveryMs)} | ${ms(r.maxLagMs)} | ${ms(r.durationMs)} | ${r.violations} |`,
  );
  return [head, sep, ...lines].join("\n");
}
