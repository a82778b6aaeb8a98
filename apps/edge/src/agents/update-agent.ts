import { type Principal, requireScope } from "@conclave/auth";
import { agents, eq } from "@conclave/db";
import { AppError, type FieldIssue } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { type ProviderCheck, providerCheck } from "../providers/check-providers.js";
import type { Tx } from "../tx.js";
import { agentView, assertNoIssues, promptBudgetIssue } from "./agent-row.js";
import { assertNameFreeInGroups } from "./name-clash.js";
import { lockOwnAgent } from "./own-agent.js";
import type { AgentPatch, AgentView } from "./schemas.js";

/**
 * Applies a patch to one of the account's agents, inside `tx`. Field paths in errors start with
 * `prefix` (`body` for the route, the item's path in a bulk request).
 */
export async function patchAgent(
  tx: Tx,
  accountId: string,
  id: string,
  input: AgentPatch,
  prefix = "body",
  /** Checks a changed provider or model against what live executors serve. */
  check?: ProviderCheck,
): Promise<AgentView> {
  const current = await lockOwnAgent(tx, accountId, id);
  const provider = input.provider ?? current.provider;
  const model = input.model ?? current.model;
  const issues: FieldIssue[] = promptBudgetIssue(
    input.systemPrompt ?? current.systemPrompt,
    input.personality ?? current.personality,
    `${prefix}.${input.systemPrompt !== undefined ? "systemPrompt" : "personality"}`,
  );
  // `scripted` is the scripted provider's own model: another provider needs a real one.
  if (provider !== "scripted" && model === "scripted")
    issues.push({ path: `${prefix}.model`, message: `required for provider ${provider}` });
  assertNoIssues(issues);
  // An unchanged choice stays allowed: an agent whose provider went away may still be renamed or disabled.
  if (check && (provider !== current.provider || model !== current.model))
    await check([{ provider, model, at: prefix }]);
  if (input.name !== undefined && input.name.toLowerCase() !== current.name.toLowerCase())
    await assertNameFreeInGroups(tx, id, input.name, `${prefix}.name`);
  const { scripted, memory, ...fields } = input;
  const config = { ...current.config };
  if (scripted !== undefined) config.scripted = scripted;
  if (memory !== undefined && Object.keys(memory).length > 0) config.memory = memory;
  else if (memory !== undefined) delete config.memory;
  const [row] = await tx
    .update(agents)
    .set({
      ...fields,
      ...(scripted !== undefined || memory !== undefined ? { config } : {}),
      updatedAt: new Date(),
    })
    .where(eq(agents.id, id))
    .returning();
  if (!row) throw new AppError("internal", `agent ${id} vanished while locked`);
  return agentView(row);
}

/** Changes one of the caller's agents; turns already running keep the agent as they found it. */
export async function updateAgent({
  ctx,
  principal,
  id,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  id: string;
  input: AgentPatch;
}): Promise<AgentView> {
  requireScope(principal, "write");
  const check = providerCheck(ctx, principal.accountId);
  return ctx.db.transaction((tx) => patchAgent(tx, principal.accountId, id, input, "body", check));
}
