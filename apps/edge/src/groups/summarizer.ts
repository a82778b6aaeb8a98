import { agents, and, eq } from "@conclave/db";
import type { FieldIssue } from "@conclave/errors";
import type { Queryable } from "../tx.js";

export const SUMMARIZER_PATH = "body.settings.memory.summarizerAgentId";

/** The issue, if any, of a summarizer that is not one of the caller's agents (its calls are theirs to pay). */
export async function summarizerIssue(
  db: Queryable,
  accountId: string,
  summarizerAgentId: string | null | undefined,
): Promise<FieldIssue[]> {
  if (!summarizerAgentId) return [];
  const [own] = await db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.id, summarizerAgentId), eq(agents.accountId, accountId)));
  return own ? [] : [{ path: SUMMARIZER_PATH, message: "must be one of your agents" }];
}
