import {
  type Db,
  messageSearchHeadline,
  messageSearchTerms,
  messageSearchVector,
  messages,
  sql,
} from "@conclave/db";
import { AppError } from "@conclave/errors";
import { type HistoryHit, type HistoryStore, MAX_SNIPPET_CHARS, SNIPPET_MARKS } from "@conclave/tools";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MARKS = `StartSel=${SNIPPET_MARKS.start}, StopSel=${SNIPPET_MARKS.stop}`;
// A message that fits a snippet is shown whole; a longer one by up to two passages of about 20 words.
const WHOLE = `${MARKS}, HighlightAll=true`;
const PASSAGES = `${MARKS}, MinWords=8, MaxWords=20, MaxFragments=2, FragmentDelimiter=" … "`;

interface HitRow {
  seq: number | string | bigint;
  at_ms: number;
  author_kind: string;
  author_name: string | null;
  snippet: string;
  rank: number;
  total: number;
}

/**
 * The groups' messages in PostgreSQL, as `search_history` reads them: one group's posted messages
 * and agents' answers (purpose `reply`, or none on rows older than the purpose), never ballots or
 * selector picks. Each word is a bound parameter parsed by `plainto_tsquery`; a message matches any.
 */
export function createHistoryStore(db: Db): HistoryStore {
  return {
    async search({ groupId, terms, limit, beforeSeq }) {
      if (!UUID.test(groupId) || terms.length === 0) return { hits: [], total: 0 };
      const words = terms.map(messageSearchTerms);
      const query = sql.join(words, sql` || `);
      const vector = messageSearchVector(messages.content);
      // How many of the words a message holds ranks first, then ts_rank (length-normalised, below 1).
      const matched = sql.join(
        words.map((w) => sql`(vector @@ ${w})::int`),
        sql` + `,
      );
      const before = beforeSeq === undefined ? sql`` : sql`and ${messages.seq} < ${beforeSeq}`;
      // Materialized: each matching message's vector is computed once, not once per use.
      const statement = sql`
        with found as materialized (
          select ${messages.seq} as seq, ${messages.at} as at, ${messages.authorKind} as author_kind,
            ${messages.authorName} as author_name, ${messages.content} as content, ${vector} as vector
          from ${messages}
          where ${messages.groupId} = ${groupId}
            and (${messages.purpose} is null or ${messages.purpose} = 'reply')
            ${before}
            and ${vector} @@ (${query})
        ), ranked as (
          select seq, at, author_kind, author_name, content,
            ((${matched}) + ts_rank(vector, ${query}, 1 | 32))::float8 as rank,
            (count(*) over ())::int as total
          from found
          order by rank desc, seq desc
          limit ${limit}
        )
        select seq, (extract(epoch from at) * 1000)::float8 as at_ms, author_kind, author_name, rank, total,
          -- Headlines cost most: only the hits shown get one.
          case when length(content) <= ${MAX_SNIPPET_CHARS}
            then ${messageSearchHeadline(sql`content`, query, WHOLE)}
            else ${messageSearchHeadline(sql`content`, query, PASSAGES)} end as snippet
        from ranked
        order by rank desc, seq desc`;
      let rows: HitRow[];
      try {
        const result = (await db.execute(statement)) as unknown;
        // postgres.js answers the rows; PGlite an object holding them.
        rows = (Array.isArray(result) ? result : (result as { rows: HitRow[] }).rows) as HitRow[];
      } catch (e) {
        throw new AppError("unavailable", "the history could not be searched; retry later", { cause: e });
      }
      const hits: HistoryHit[] = rows.map((r) => ({
        seq: Number(r.seq),
        at: new Date(r.at_ms).toISOString(),
        author: { kind: r.author_kind, name: r.author_name },
        snippet: r.snippet,
        rank: Math.round(r.rank * 10_000) / 10_000,
      }));
      return { hits, total: rows[0]?.total ?? 0 };
    },
  };
}
