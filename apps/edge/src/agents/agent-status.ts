import { type Principal, requireScope } from "@conclave/auth";
import { count, desc, eq, events, groupAgents, sql } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import { ownAgent } from "./own-agent.js";
import type { AgentStatusView } from "./schemas.js";

const OUTCOMES = sql`${events.type} in ('agent.replied', 'agent.failed')`;

/** How one of the caller's agents has been doing: its last answer, and replies against failures lately. */
export async function agentStatus({
  ctx,
  principal,
  id,
  windowHours,
}: {
  ctx: EdgeContext;
  principal: Principal;
  id: string;
  windowHours: number;
}): Promise<AgentStatusView> {
  requireScope(principal, "read");
  const agent = await ownAgent(ctx.db, principal.accountId, id);
  // Outcomes are recorded events; the agent id in their payload is unique, whatever the group.
  // A fork's copies are the original's outcomes again: counted once, where they happened.
  const ofAgent = sql`(${events.payload}->>'agentId') = ${id} and ${OUTCOMES} and ${events.forkedFrom} is null`;
  const since = new Date(Date.now() - windowHours * 3_600_000).toISOString();
  const [[last], [tally], [seats]] = await Promise.all([
    ctx.db.select({ at: events.at }).from(events).where(ofAgent).orderBy(desc(events.at)).limit(1),
    ctx.db
      .select({
        replies: sql<number>`count(*) filter (where ${events.type} = 'agent.replied')`.mapWith(Number),
        failures: sql<number>`count(*) filter (where ${events.type} = 'agent.failed')`.mapWith(Number),
      })
      .from(events)
      .where(sql`${ofAgent} and ${events.at} >= ${since}`),
    ctx.db.select({ n: count() }).from(groupAgents).where(eq(groupAgents.agentId, id)),
  ]);
  const replies = tally?.replies ?? 0;
  const failures = tally?.failures ?? 0;
  return {
    agentId: id,
    enabled: agent.enabled,
    seats: seats?.n ?? 0,
    lastUsedAt: last ? new Date(last.at).toISOString() : null,
    window: {
      hours: windowHours,
      replies,
      failures,
      errorRate: replies + failures > 0 ? failures / (replies + failures) : null,
    },
  };
}
