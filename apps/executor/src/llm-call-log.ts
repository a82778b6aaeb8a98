import { type Db, getTableColumns, llmCalls, sql } from "@conclave/db";
import type { Logger } from "@conclave/log";

/** One ended LLM call, as `llm_calls` keeps it. */
export type LlmCallRecord = typeof llmCalls.$inferInsert;

/** Where the executor keeps each call's prompt and cost, once per work item. */
export interface LlmCallLog {
  /** Resolves once the record is written (or its failure logged). */
  record(call: LlmCallRecord): Promise<void>;
}

// The rows go as one JSON parameter into one fixed statement: building a multi-row insert through
// the query builder cost more CPU per call than the rest of the record, and each batch size was a
// statement of its own to prepare. Columns left out of the JSON take their defaults.
const COLUMNS = Object.entries(getTableColumns(llmCalls)).filter(([, c]) => !c.hasDefault);
const NAMES = COLUMNS.map(([, c]) => `"${c.name}"`).join(", ");
const INSERT_HEAD = sql.raw(
  `insert into llm_calls (${NAMES}) select ${NAMES} from json_populate_recordset(null::llm_calls, `,
);
const INSERT_TAIL = sql.raw("::json) on conflict (id) do nothing");

function toJson(rows: LlmCallRecord[]): string {
  return JSON.stringify(
    rows.map((r) => {
      const row: Record<string, unknown> = {};
      for (const [key, c] of COLUMNS) row[c.name] = (r as Record<string, unknown>)[key] ?? null;
      return row;
    }),
  );
}

/** Rows per insert: bounded so one statement stays well under PostgreSQL's parameter limit. */
const MAX_BATCH = 200;

/**
 * `llm_calls` in PostgreSQL, keyed by the work item's id, so a redelivered item (a crash before its
 * ack) adds nothing. Records that arrive while an insert runs go together in the next one: one
 * statement and one commit for many calls under load, none of the wait when idle. A failed insert is
 * logged and the calls' outcomes still go out: the record serves debugging, and the conversation
 * must not stall on it.
 */
export function createLlmCallLog(db: Db, log: Logger): LlmCallLog {
  let queue: { call: LlmCallRecord; done: () => void }[] = [];
  let flushing = false;

  const insert = (rows: LlmCallRecord[]) => db.execute(sql`${INSERT_HEAD}${toJson(rows)}${INSERT_TAIL}`);

  async function flush(): Promise<void> {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        await insert(batch.map((b) => b.call));
      } catch {
        // One bad row must not lose the others: each on its own.
        for (const { call } of batch)
          await insert([call]).catch((err: unknown) =>
            log.warn({ err, workId: call.id, groupId: call.groupId }, "llm call not recorded"),
          );
      }
      for (const b of batch) b.done();
    }
    flushing = false;
  }

  return {
    record(call) {
      return new Promise<void>((done) => {
        queue.push({ call, done });
        if (!flushing) void flush();
      });
    },
  };
}
