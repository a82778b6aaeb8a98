import { type Principal, requireScope } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import type { AgentView } from "./schemas.js";
import { patchAgent } from "./update-agent.js";

/** Enables or disables one of the caller's agents: a disabled agent keeps its seats but does not speak. */
export async function setAgentEnabled({
  ctx,
  principal,
  id,
  enabled,
}: {
  ctx: EdgeContext;
  principal: Principal;
  id: string;
  enabled: boolean;
}): Promise<AgentView> {
  requireScope(principal, "write");
  return ctx.db.transaction((tx) => patchAgent(tx, principal.accountId, id, { enabled }));
}
