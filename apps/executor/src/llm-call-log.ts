import { type Db, llmCalls } from "@conclave/db";
import type { Logger } from "@conclave/log";

/** One ended LLM call, as `llm_calls` keeps it. */
export type LlmCallRecord = typeof llmCalls.$inferInsert;

/** Where the executor keeps each call's prompt and cost, once per work item. */
export interface LlmCallLog {
  record(call: LlmCallRecord): Promise<void>;
}

/**
 * `llm_calls` in PostgreSQL: one insert per call, keyed by the work item's id, so a redelivered item
 * (a crash before its ack) adds nothing. A failed insert is logged and the call's outcome still goes
 * out: the record serves debugging, and the conversation must not stall on it.
 */
export function createLlmCallLog(db: Db, log: Logger): LlmCallLog {
  return {
    async record(call) {
      try {
        await db.insert(llmCalls).values(call).onConflictDoNothing({ target: llmCalls.id });
      } catch (err) {
        log.warn({ err, workId: call.id, groupId: call.groupId }, "llm call not recorded");
      }
    },
  };
}
