import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import { agents, and, asc, eq, groupAgents, groups, inArray } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { stringify } from "yaml";
import type { EdgeContext } from "../context.js";
import { settingsView } from "../groups/group-view.js";
import { duplicateNames } from "../groups/roster.js";
import type { GroupSettingsView } from "../groups/schemas.js";
import { agentView } from "./agent-row.js";
import { type ExportQuery, TRANSFER_VERSION } from "./transfer-schemas.js";

type AgentRow = typeof agents.$inferSelect;

/** An agent as the document carries it: every setting, in a fixed order, no ids or times. */
function entry(r: AgentRow) {
  const v = agentView(r);
  return {
    name: v.name,
    description: v.description,
    provider: v.provider,
    model: v.model,
    temperature: v.temperature,
    maxTokens: v.maxTokens,
    personality: v.personality,
    systemPrompt: v.systemPrompt,
    tools: v.tools,
    limits: v.limits,
    enabled: v.enabled,
    scripted: v.scripted,
    memory: v.memory,
  };
}

/** Settings as the document carries them: the selector by name, where the view has its id; no summarizer. */
function transferSettings(view: GroupSettingsView, seated: AgentRow[]) {
  const { turnLimits, voting, selectorAgentId, mentionFallback, concurrentInput, retentionDays } = view;
  const selector = seated.find((a) => a.id === selectorAgentId);
  // The summarizer is an agent of its owner's account, not the document's: it is left out.
  const { summarizerAgentId: _summarizer, ...memory } = view.memory;
  return {
    turnLimits,
    voting,
    selectorAgent: selector?.name ?? null,
    mentionFallback,
    concurrentInput,
    retentionDays,
    memory,
  };
}

/** The agents of a group the caller owns, in seat order; other accounts' agents are not theirs to export. */
async function groupAgentsOf(ctx: EdgeContext, principal: Principal, groupId: string) {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  const [group] = await ctx.db.select().from(groups).where(eq(groups.id, groupId));
  if (!group) throw new AppError("not_found", `no group ${groupId}`);
  const seated = (
    await ctx.db
      .select({ agent: agents })
      .from(groupAgents)
      .innerJoin(agents, eq(agents.id, groupAgents.agentId))
      .where(eq(groupAgents.groupId, groupId))
      .orderBy(asc(groupAgents.seat))
  ).map((s) => s.agent);
  const foreign = seated.filter((a) => a.accountId !== principal.accountId);
  if (foreign.length > 0)
    throw new AppError(
      "forbidden",
      `agents of other accounts sit in this group: ${foreign.map((a) => a.name).join(", ")}`,
    );
  return { group, seated };
}

/** The caller's agents with these ids, in the order given; 404 naming any that is not theirs. */
async function agentsByIds(ctx: EdgeContext, principal: Principal, ids: string[]) {
  const unique = [...new Set(ids)];
  const rows = await ctx.db
    .select()
    .from(agents)
    .where(and(eq(agents.accountId, principal.accountId), inArray(agents.id, unique)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = unique.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new AppError("not_found", `no agent ${missing.join(", ")}`, {
      fields: [{ path: "query.ids", message: `unknown: ${missing.join(", ")}` }],
    });
  return unique.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Writes a YAML document of the caller's agents: a group's (with the group), some by id, or all of
 * them (oldest first). Importing it gives the same configuration.
 */
export async function exportAgents({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: ExportQuery;
}): Promise<string> {
  requireScope(principal, "read");
  let rows: AgentRow[];
  let group: Record<string, unknown> | undefined;
  if (input.groupId) {
    const found = await groupAgentsOf(ctx, principal, input.groupId);
    rows = found.seated;
    group = {
      name: found.group.name,
      description: found.group.description,
      strategy: found.group.strategy,
      settings: transferSettings(settingsView(found.group.settings), rows),
      agents: rows.map((r) => r.name),
    };
  } else if (input.ids) {
    rows = await agentsByIds(ctx, principal, input.ids);
  } else {
    rows = await ctx.db
      .select()
      .from(agents)
      .where(eq(agents.accountId, principal.accountId))
      .orderBy(asc(agents.id));
  }
  const dups = duplicateNames(rows.map((r) => ({ name: r.name, path: "query" })));
  if (dups.length > 0)
    throw new AppError(
      "conflict",
      "agent names must be unique in a document: rename or leave out agents that share one",
      {
        fields: dups,
      },
    );
  const doc = { conclave: TRANSFER_VERSION, agents: rows.map(entry), ...(group ? { group } : {}) };
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
