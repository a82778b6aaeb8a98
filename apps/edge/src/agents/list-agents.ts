import { type Principal, requireScope } from "@conclave/auth";
import { agents, and, desc, eq, lt, sql } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import { agentView } from "./agent-row.js";
import type { AgentView, ListAgentsQuery } from "./schemas.js";

/** The caller's agents, newest first, filtered, a page at a time. */
export async function listAgents({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: ListAgentsQuery;
}): Promise<{ items: AgentView[]; nextCursor: string | null }> {
  requireScope(principal, "read");
  const rows = await ctx.db
    .select()
    .from(agents)
    .where(
      and(
        eq(agents.accountId, principal.accountId),
        input.provider ? eq(agents.provider, input.provider) : undefined,
        input.enabled !== undefined ? eq(agents.enabled, input.enabled) : undefined,
        // strpos, not LIKE: the text is matched as written, `%` and `_` included.
        input.q ? sql`strpos(lower(${agents.name}), lower(${input.q})) > 0` : undefined,
        input.cursor ? lt(agents.id, input.cursor) : undefined,
      ),
    )
    // Ids are UUIDv7: their order is their creation order, and a stable cursor.
    .orderBy(desc(agents.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return {
    items: page.map(agentView),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
