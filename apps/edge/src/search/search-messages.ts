import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import {
  groupMembers,
  messageSearchHeadline,
  messageSearchTerms,
  messageSearchVector,
  messages,
  type SQL,
  sql,
} from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { SEARCH_MARKS, type SearchHit, type SearchQuery, type SearchView } from "./schemas.js";

const MARKS = `StartSel=${SEARCH_MARKS.start}, StopSel=${SEARCH_MARKS.stop}`;
// A short message is shown whole, a longer one by up to two passages of about 30 words.
const SHORT_CHARS = 300;
const WHOLE = `${MARKS}, HighlightAll=true`;
const PASSAGES = `${MARKS}, MinWords=10, MaxWords=30, MaxFragments=2, FragmentDelimiter=" … "`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a page ends in the order (rank desc, id desc): the last hit's rank and id. */
interface After {
  rank: number;
  id: string;
}

const encodeCursor = (a: After): string => Buffer.from(JSON.stringify([a.rank, a.id])).toString("base64url");

function decodeCursor(cursor: string): After {
  try {
    const [rank, id] = JSON.parse(Buffer.from(cursor, "base64url").toString()) as unknown[];
    if (typeof rank === "number" && Number.isFinite(rank) && typeof id === "string" && UUID.test(id))
      return { rank, id };
  } catch {
    // Falls through to the refusal below.
  }
  throw new AppError("validation", "invalid query parameter", {
    fields: [{ path: "query.cursor", message: "must be a nextCursor of this search" }],
  });
}

/**
 * The statement of one page: the caller's groups' messages matching `q`, by rank then id. The
 * match uses `messageSearchVector(messages.content)`, the very expression of the GIN index
 * `messages_content_search_idx`, so PostgreSQL finds the matches through it (see the int test).
 */
export function searchStatement(input: {
  accountId: string;
  q: string;
  groupId?: string | undefined;
  after?: After | undefined;
  limit: number;
}): SQL {
  const query = messageSearchTerms(input.q);
  const vector = messageSearchVector(messages.content);
  const inGroup = input.groupId ? sql`and ${groupMembers.groupId} = ${input.groupId}` : sql``;
  const after = input.after
    ? sql`where (rank, id) < (${input.after.rank}::float8, ${input.after.id}::uuid)`
    : sql``;
  // Materialized: each match's vector is computed once, for the rank, not again per use.
  return sql`
    with found as materialized (
      select ${messages.id} as id, ${messages.groupId} as group_id, ${messages.seq} as seq,
        ${messages.turnId} as turn_id, ${messages.type} as type, ${messages.authorKind} as author_kind,
        ${messages.authorId} as author_id, ${messages.authorName} as author_name,
        ${messages.content} as content, ${messages.at} as at, ${vector} as vector
      from ${messages}
      where ${messages.groupId} in (
          select ${groupMembers.groupId} from ${groupMembers}
          where ${groupMembers.accountId} = ${input.accountId} ${inGroup})
        and ${vector} @@ ${query}
    ), ranked as (
      select id, group_id, seq, turn_id, type, author_kind, author_id, author_name, content, at,
        ts_rank(vector, ${query})::float8 as rank
      from found
    ), page as (
      select * from ranked ${after}
      order by rank desc, id desc
      limit ${input.limit}
    )
    select id, group_id, seq, turn_id, type, author_kind, author_id, author_name, rank,
      (extract(epoch from at) * 1000)::float8 as at_ms,
      -- Headlines cost most: only the hits of the page get one.
      case when length(content) <= ${SHORT_CHARS}
        then ${messageSearchHeadline(sql`content`, query, WHOLE)}
        else ${messageSearchHeadline(sql`content`, query, PASSAGES)} end as snippet
    from page
    order by rank desc, id desc`;
}

interface HitRow {
  id: string;
  group_id: string;
  seq: number | string | bigint;
  turn_id: string | null;
  type: string;
  author_kind: string;
  author_id: string;
  author_name: string | null;
  rank: number;
  at_ms: number;
  snippet: string;
}

/**
 * Full-text search over every message the caller may read (the groups they are in, whatever their
 * role), or one of those groups: ranked (`ts_rank`), highlighted (`ts_headline`), paged by a
 * cursor over the stable order rank desc, id desc. A group the caller is not in does not exist (404).
 */
export async function searchMessages({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: SearchQuery;
}): Promise<SearchView> {
  requireScope(principal, "read");
  if (input.groupId) await requireGroupAccess(ctx.db, principal, input.groupId, "read");
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const statement = searchStatement({
    accountId: principal.accountId,
    q: input.q,
    groupId: input.groupId,
    after,
    limit: input.limit + 1,
  });
  const result = (await ctx.db.execute(statement)) as unknown;
  // postgres.js answers the rows; PGlite an object holding them.
  const rows = (Array.isArray(result) ? result : (result as { rows: HitRow[] }).rows) as HitRow[];
  const items: SearchHit[] = rows.slice(0, input.limit).map((r) => ({
    id: r.id,
    groupId: r.group_id,
    seq: Number(r.seq),
    turnId: r.turn_id,
    type: r.type,
    author: { kind: r.author_kind, id: r.author_id, name: r.author_name },
    at: new Date(Number(r.at_ms)).toISOString(),
    rank: Number(r.rank),
    snippet: r.snippet,
  }));
  const last = items.at(-1);
  const nextCursor =
    rows.length > input.limit && last ? encodeCursor({ rank: last.rank, id: last.id }) : null;
  return { items, nextCursor, marks: { start: SEARCH_MARKS.start, stop: SEARCH_MARKS.stop } };
}
