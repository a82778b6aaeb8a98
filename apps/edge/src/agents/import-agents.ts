import { type Principal, requireScope } from "@conclave/auth";
import { groupAgents, groupMembers, groups } from "@conclave/db";
import type { FieldIssue } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { duplicateNames } from "../groups/roster.js";
import { params } from "../http/validate.js";
import { providerCheck } from "../providers/check-providers.js";
import { assertNoIssues, choiceOf, newAgentRow, promptBudgetIssue } from "./agent-row.js";
import { insertAgents } from "./create-agent.js";
import { type TransferDocument, transferDocument } from "./transfer-schemas.js";

/** Everything wrong with a parsed document beyond its shape, each issue at its path. */
function documentIssues(doc: TransferDocument): FieldIssue[] {
  const issues = [
    ...duplicateNames(doc.agents.map((a, i) => ({ name: a.name, path: `body.agents.${i}.name` }))),
    ...doc.agents.flatMap((a, i) =>
      promptBudgetIssue(a.systemPrompt, a.personality, `body.agents.${i}.personality`),
    ),
  ];
  const names = new Set(doc.agents.map((a) => a.name.toLowerCase()));
  const seated = new Set<string>();
  for (const [j, ref] of (doc.group?.agents ?? []).entries()) {
    const key = ref.toLowerCase();
    if (!names.has(key))
      issues.push({ path: `body.group.agents.${j}`, message: `no agent named ${ref} in this document` });
    else if (seated.has(key))
      issues.push({ path: `body.group.agents.${j}`, message: `${ref} is seated twice` });
    seated.add(key);
  }
  const selector = doc.group?.settings.selectorAgent;
  if (selector && !seated.has(selector.toLowerCase()))
    issues.push({
      path: "body.group.settings.selectorAgent",
      message: `${selector} is not among group.agents`,
    });
  return issues;
}

/**
 * Imports a document's agents (and group, the caller its owner) into the caller's account. The whole
 * document is checked first, every issue reported at once; then everything is written in one
 * transaction, so an error anywhere changes nothing.
 */
export async function importAgents({
  ctx,
  principal,
  raw,
}: {
  ctx: EdgeContext;
  principal: Principal;
  raw: unknown;
}): Promise<{ agents: { id: string; name: string }[]; group: { id: string; name: string } | null }> {
  requireScope(principal, "write");
  const doc = params(raw, transferDocument(ctx.config.MAX_AGENTS_PER_GROUP), "body");
  assertNoIssues(documentIssues(doc), "the document is invalid");
  const rows = doc.agents.map((a) => newAgentRow(principal.accountId, a));
  await providerCheck(ctx, principal.accountId)(rows.map((r, i) => choiceOf(r, `body.agents.${i}`)));
  const idOf = new Map(rows.map((r) => [r.name.toLowerCase(), r.id]));
  const groupId = doc.group ? newEventId() : null;
  await ctx.db.transaction(async (tx) => {
    await insertAgents(tx, principal.accountId, rows, ctx.config.MAX_AGENTS_PER_ACCOUNT);
    if (!doc.group || !groupId) return;
    const { selectorAgent, ...settings } = doc.group.settings;
    const selectorAgentId = selectorAgent ? idOf.get(selectorAgent.toLowerCase()) : undefined;
    await tx.insert(groups).values({
      id: groupId,
      name: doc.group.name,
      description: doc.group.description,
      strategy: doc.group.strategy,
      settings: { ...settings, ...(selectorAgentId ? { selectorAgentId } : {}) },
    });
    await tx.insert(groupMembers).values({ groupId, accountId: principal.accountId, role: "owner" });
    const seats = doc.group.agents.flatMap((name) => idOf.get(name.toLowerCase()) ?? []);
    if (seats.length > 0)
      await tx.insert(groupAgents).values(seats.map((agentId, seat) => ({ groupId, agentId, seat })));
  });
  ctx.log.info({ agents: rows.length, groupId }, "agents imported");
  return {
    agents: rows.map((r) => ({ id: r.id, name: r.name })),
    group: doc.group && groupId ? { id: groupId, name: doc.group.name } : null,
  };
}
