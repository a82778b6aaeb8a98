import { type Principal, requireScope } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { agentView } from "./agent-row.js";
import { ownAgent } from "./own-agent.js";
import type { AgentView } from "./schemas.js";

/** One of the caller's agents; another account's agent is a 404. */
export async function getAgent({
  ctx,
  principal,
  id,
}: {
  ctx: EdgeContext;
  principal: Principal;
  id: string;
}): Promise<AgentView> {
  requireScope(principal, "read");
  return agentView(await ownAgent(ctx.db, principal.accountId, id));
}
