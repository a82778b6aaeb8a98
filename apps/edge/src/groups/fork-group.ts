import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import { publishEnvelope } from "@conclave/bus";
import {
  agents,
  and,
  asc,
  count,
  eq,
  events,
  type GroupSettings,
  groupAgents,
  groupMembers,
  groups,
  gt,
  inArray,
  lte,
  sql,
} from "@conclave/db";
import { AppError, type FieldIssue } from "@conclave/errors";
import { agentBudget, forkMemory, loadAgent, resolveMemory } from "@conclave/memory";
import {
  type AnyConvEnvelope,
  deriveEventId,
  makeEnvelope,
  newEventId,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import { assertNoIssues } from "../agents/agent-row.js";
import type { EdgeContext } from "../context.js";
import { copyEvent, createSeqMap } from "./fork-copy.js";
import { loadGroupView } from "./group-view.js";
import { duplicateNames } from "./roster.js";
import { FORK_LIMITS, type ForkGroupInput, type GroupView } from "./schemas.js";
import { summarizerIssue } from "./summarizer.js";

/** Rows of the original's history read at once while copying. */
const PAGE = 500;
/** Copies published before their acks are awaited. */
const BATCH = 100;
/** Events whose payload names stream seqs, which a copy moves to the fork's. */
const NAMES_SEQS: ReadonlySet<string> = new Set(["turn.started", "memory.summarized"]);

/**
 * Forks a group at `fromSeq`: a new group whose history is a copy of the original's recorded
 * events up to that seq (each copy marked `forkedFrom`), whose memory is folded from those copies,
 * and which then goes live with the original's current agents or the ones given. Owners and
 * members may fork (viewers 403, outsiders 404); the caller owns the fork, and the owners of the
 * agents it seats (people of the original) are its members, since an agent speaks for its owner.
 *
 * Order, so that a fork is never half there: the copies (deterministic ids: retries are
 * deduplicated) and the memory first, the group's rows last, in one transaction. Until they commit
 * nobody can see or post to the fork; with an `Idempotency-Key`, a retry after a crash continues
 * the same fork from the copies already on the stream, and once it exists answers it again.
 */
export async function forkGroup({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: ForkGroupInput & { groupId: string; idempotencyKey?: string | undefined };
}): Promise<{ group: GroupView; created: boolean }> {
  await requireGroupAccess(ctx.db, principal, input.groupId, "post");
  requireScope(principal, "read");
  const { db } = ctx;
  const { groupId, fromSeq } = input;
  const [original] = await db.select().from(groups).where(eq(groups.id, groupId));
  if (!original) throw new AppError("not_found", `no group ${groupId}`);

  const forkId = input.idempotencyKey
    ? forkIdOf(groupId, principal.accountId, input.idempotencyKey)
    : newEventId();
  const done = await finishedFork(ctx, principal, forkId, { groupId, fromSeq });
  if (done) return { group: done, created: false };

  const [range] = await db
    .select({ n: count() })
    .from(events)
    .where(and(eq(events.groupId, groupId), lte(events.seq, fromSeq)));
  const [last] = await db
    .select({ seq: sql<number | null>`max(${events.seq})`.mapWith(Number) })
    .from(events)
    .where(eq(events.groupId, groupId));
  const lastSeq = last?.seq ?? 0;
  if (fromSeq > lastSeq)
    throw new AppError("validation", "fromSeq is beyond the group's history", {
      fields: [{ path: "body.fromSeq", message: `beyond the group's last recorded seq (${lastSeq})` }],
    });
  const copies = range?.n ?? 0;
  if (copies > FORK_LIMITS.maxEvents)
    throw new AppError("validation", "too much history for one fork", {
      fields: [
        {
          path: "body.fromSeq",
          message: `the fork would copy ${copies} events; at most ${FORK_LIMITS.maxEvents}`,
        },
      ],
    });

  const seats = await chooseAgents(ctx, principal, original, input.agents);
  const settings = await forkSettings(ctx, principal, original.settings, seats.ids);
  if (!ctx.busUp()) throw new AppError("unavailable", "the event bus is unreachable; retry later");

  const copied = await copyHistory(ctx, { groupId, forkId, fromSeq, settings, agentIds: seats.ids });

  await db.transaction(async (tx) => {
    // The caller may have lost access while the copies went out: the fork is not made then.
    await requireGroupAccess(tx, principal, groupId, "post");
    const made = await tx
      .insert(groups)
      .values({
        id: forkId,
        name: input.name ?? forkName(original.name),
        description: original.description,
        strategy: original.strategy,
        settings,
        forkedFrom: { groupId, fromSeq },
      })
      .onConflictDoNothing({ target: groups.id })
      .returning({ id: groups.id });
    // A concurrent retry of the same request made it first.
    if (made.length === 0) return;
    const others = [...new Set(seats.owners)].filter((a) => a !== principal.accountId);
    await tx
      .insert(groupMembers)
      .values([
        { groupId: forkId, accountId: principal.accountId, role: "owner" as const },
        ...others.map((accountId) => ({ groupId: forkId, accountId, role: "member" as const })),
      ]);
    if (seats.ids.length > 0)
      await tx
        .insert(groupAgents)
        .values(seats.ids.map((agentId, seat) => ({ groupId: forkId, agentId, seat })));
  });
  await ctx.caches.changed({ kind: "group", groupId: forkId });
  ctx.log.info(
    { groupId: forkId, forkedFrom: groupId, fromSeq, copied: copied.published, resumed: copied.resumed },
    "group forked",
  );
  const group = await finishedFork(ctx, principal, forkId, { groupId, fromSeq });
  if (!group) throw new AppError("internal", `fork ${forkId} was not stored`);
  return { group, created: true };
}

/** The id of the fork one caller's `Idempotency-Key` makes of a group: every retry makes the same one. */
export const forkIdOf = (groupId: string, accountId: string, key: string): string =>
  deriveEventId(groupId, `fork:${accountId}:${key}`);

/** The fork's view when it exists already (a retried request); 422 when the key made another fork. */
async function finishedFork(
  ctx: EdgeContext,
  principal: Principal,
  forkId: string,
  origin: { groupId: string; fromSeq: number },
): Promise<GroupView | null> {
  const [row] = await ctx.db
    .select({ forkedFrom: groups.forkedFrom })
    .from(groups)
    .where(eq(groups.id, forkId));
  if (!row) return null;
  if (row.forkedFrom?.groupId !== origin.groupId || row.forkedFrom.fromSeq !== origin.fromSeq)
    throw keyReused();
  const role = await requireGroupAccess(ctx.db, principal, forkId, "read");
  return loadGroupView(ctx.db, forkId, role);
}

const keyReused = () =>
  new AppError("unprocessable", "this Idempotency-Key was used for another fork", {
    fields: [{ path: "header.idempotency-key", message: "already used with a different fromSeq" }],
  });

const forkName = (name: string) => {
  const suffix = " (fork)";
  return `${name.slice(0, 200 - suffix.length)}${suffix}`;
};

/**
 * The fork's seats: the given agents (each seated in the original or the caller's own), else the
 * original's current seats; with each one's owner.
 */
async function chooseAgents(
  ctx: EdgeContext,
  principal: Principal,
  original: { id: string },
  given: string[] | undefined,
): Promise<{ ids: string[]; owners: string[] }> {
  const seated = await ctx.db
    .select({ id: agents.id, name: agents.name, owner: agents.accountId })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, original.id))
    .orderBy(asc(groupAgents.seat));
  if (!given) return { ids: seated.map((a) => a.id), owners: seated.map((a) => a.owner) };
  const found = await ctx.db
    .select({ id: agents.id, name: agents.name, owner: agents.accountId })
    .from(agents)
    .where(inArray(agents.id, given));
  const byId = new Map(found.map((a) => [a.id, a]));
  const seatedIds = new Set(seated.map((a) => a.id));
  const missing: FieldIssue[] = given.flatMap((id, i) => {
    const a = byId.get(id);
    return a && (seatedIds.has(id) || a.owner === principal.accountId)
      ? []
      : [{ path: `body.agents.${i}`, message: `no agent ${id} seated in the group or of yours` }];
  });
  if (missing.length > 0) throw new AppError("not_found", "no such agent", { fields: missing });
  const chosen = given.map((id) => byId.get(id) as { id: string; name: string; owner: string });
  assertNoIssues(
    duplicateNames(chosen.map((a, i) => ({ name: a.name, path: `body.agents.${i}` }))),
    "agent names must be unique in a group",
  );
  return { ids: chosen.map((a) => a.id), owners: chosen.map((a) => a.owner) };
}

/**
 * The original's settings for the fork: its selector must sit in the fork; a summarizer that is not
 * the caller's is dropped (its calls would be another account's to pay).
 */
async function forkSettings(
  ctx: EdgeContext,
  principal: Principal,
  settings: GroupSettings,
  agentIds: string[],
): Promise<GroupSettings> {
  if (settings.selectorAgentId && !agentIds.includes(settings.selectorAgentId))
    assertNoIssues([
      { path: "body.agents", message: `must include the group's selector agent ${settings.selectorAgentId}` },
    ]);
  const summarizer = settings.memory?.summarizerAgentId;
  if (!summarizer || (await summarizerIssue(ctx.db, principal.accountId, summarizer)).length === 0)
    return settings;
  const { summarizerAgentId: _dropped, ...memory } = settings.memory ?? {};
  return { ...settings, memory };
}

/**
 * Publishes the copies of the original's events up to `fromSeq` in order (the ones already on the
 * fork's subjects, from an interrupted attempt, are not sent again), ends the turns the cut left
 * open, and stores the fork's memory folded from the copies.
 */
async function copyHistory(
  ctx: EdgeContext,
  input: { groupId: string; forkId: string; fromSeq: number; settings: GroupSettings; agentIds: string[] },
): Promise<{ published: number; resumed: number }> {
  const { db, names } = ctx;
  const { groupId, forkId, fromSeq } = input;
  const publish = (e: Parameters<typeof publishEnvelope>[2]) =>
    publishEnvelope(ctx.js, names, e, { timeoutMs: ctx.config.PUBLISH_TIMEOUT_MS });

  const { copies: already, ids: onStream, lastOrigin } = await readFork(ctx, forkId);
  // An earlier attempt under the same key that copied further was another request.
  if (lastOrigin > fromSeq) throw keyReused();
  // Every id of the original's events, turns, messages and votes: the payload ids a copy moves.
  const heads = await db
    .select({
      id: events.id,
      turnId: events.turnId,
      messageId: sql<string | null>`${events.payload}->>'messageId'`,
      voteId: sql<string | null>`${events.payload}->>'voteId'`,
    })
    .from(events)
    .where(and(eq(events.groupId, groupId), lte(events.seq, fromSeq)));
  const known = new Set<string>();
  for (const h of heads) for (const id of [h.id, h.turnId, h.messageId, h.voteId]) if (id) known.add(id);

  const memory = resolveMemory(input.settings.memory);
  let retain = { windowTokens: memory.windowTokens, maxMessages: memory.maxMessages };
  for (const id of input.agentIds) {
    const agent = await loadAgent(db, id);
    if (!agent) continue;
    const b = agentBudget(memory, agent);
    retain = {
      windowTokens: Math.max(retain.windowTokens, b.windowTokens),
      maxMessages: Math.max(retain.maxMessages, b.maxMessages),
    };
  }
  const folder = forkMemory({ groupId: forkId, memory, retain });
  const seqs = createSeqMap();
  // The open turns' messages and answers so far: their ending names them.
  const turns = new Map<string, { messageId: string; causationId: string; replyIds: string[] }>();
  let published = 0;
  // Copies go out in batches, sent in order on one connection (so stored in order) with their acks
  // awaited together; a copy whose payload names seqs (a turn's start, a summary) waits for the
  // batch before it, since it needs their seqs in the fork.
  let batch: { originalSeq: number; copy: AnyConvEnvelope; seq: Promise<number> }[] = [];
  const flush = async () => {
    const sent = batch;
    batch = [];
    const acked = await Promise.all(sent.map((b) => b.seq));
    sent.forEach(({ originalSeq, copy }, i) => {
      const seq = acked[i] as number;
      seqs.set(originalSeq, seq);
      folder.add(seq, copy);
    });
  };
  for (let cursor = 0; ; ) {
    const rows = await db
      .select()
      .from(events)
      .where(and(eq(events.groupId, groupId), gt(events.seq, cursor), lte(events.seq, fromSeq)))
      .orderBy(asc(events.seq))
      .limit(PAGE);
    for (const row of rows) {
      if (NAMES_SEQS.has(row.type) || batch.length >= BATCH) await flush();
      const copy = copyEvent(row, { forkId, known, seqs });
      const seen = already.get(row.id);
      if (seen === undefined) published++;
      batch.push({
        originalSeq: row.seq,
        copy,
        seq: seen === undefined ? publish(copy).then((p) => p.seq) : Promise.resolve(seen),
      });
      if (copy.type === "message.posted" && copy.turnId)
        turns.set(copy.turnId, { messageId: copy.payload.messageId, causationId: copy.id, replyIds: [] });
      if (copy.type === "agent.replied" && copy.turnId) turns.get(copy.turnId)?.replyIds.push(copy.id);
    }
    await flush();
    const tail = rows.at(-1);
    if (!tail || rows.length < PAGE) break;
    cursor = tail.seq;
  }
  for (const turnId of folder.openTurns()) {
    const t = turns.get(turnId);
    const id = deriveEventId(turnId, "turn.ended");
    if (!t || onStream.has(id)) continue;
    await publish(
      makeEnvelope({
        id,
        type: "turn.failed",
        groupId: forkId,
        turnId,
        causationId: t.causationId,
        actor: SYSTEM_ACTOR,
        payload: {
          messageId: t.messageId,
          reason: "cancelled",
          detail: `the fork copied the history up to seq ${fromSeq}, before this turn ended`,
          replyIds: t.replyIds,
          durationMs: 0,
        },
      }),
    );
  }
  const record = folder.record();
  await ctx.memory.transact(forkId, () => ({ record, emit: [] }));
  return { published, resumed: already.size };
}

/**
 * What an earlier attempt of this fork published: each copy's seq by its original's event id, every
 * event id (so a retry long after the stream's duplicate window still sends nothing twice), and
 * the latest original seq copied.
 */
async function readFork(
  ctx: EdgeContext,
  forkId: string,
): Promise<{ copies: Map<string, number>; ids: Set<string>; lastOrigin: number }> {
  const jsm = await ctx.js.jetstreamManager(false);
  const stream = ctx.names.stream("conv");
  const copies = new Map<string, number>();
  const ids = new Set<string>();
  let lastOrigin = 0;
  for (let from = 1; ; ) {
    const m = await jsm.direct.getMessage(stream, {
      seq: from,
      next_by_subj: ctx.names.groupFilter(forkId),
    });
    if (!m) return { copies, ids, lastOrigin };
    const e = m.json<{ id?: string; forkedFrom?: { eventId?: string; seq?: number } }>();
    if (e.id) ids.add(e.id);
    if (e.forkedFrom?.eventId) copies.set(e.forkedFrom.eventId, m.seq);
    lastOrigin = Math.max(lastOrigin, e.forkedFrom?.seq ?? 0);
    from = m.seq + 1;
  }
}
