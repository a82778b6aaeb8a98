import type { agents } from "@conclave/db";
import { AppError, type FieldIssue } from "@conclave/errors";
import { newEventId, Provider } from "@conclave/subjects";
import type { ProviderChoice } from "../providers/catalog.js";
import { type AgentInput, type AgentView, PROMPT_BUDGET } from "./schemas.js";

type AgentRow = typeof agents.$inferSelect;

/** The issue, if any, of a system prompt and personality too long together for a turn snapshot. */
export function promptBudgetIssue(systemPrompt: string, personality: string, path: string): FieldIssue[] {
  // The snapshot joins them as "<prompt>\n\nPersonality: <personality>".
  const total = systemPrompt.length + (personality.trim() ? personality.length + 15 : 0);
  return total > PROMPT_BUDGET
    ? [{ path, message: `system prompt and personality together are over ${PROMPT_BUDGET} characters` }]
    : [];
}

/** Throws a validation error listing `issues`, if any. */
export function assertNoIssues(issues: FieldIssue[], message = "request body is invalid"): void {
  if (issues.length > 0) throw new AppError("validation", message, { fields: issues });
}

/** The row of a new agent of `accountId`; `model` defaults to `scripted` for the scripted provider. */
export function newAgentRow(accountId: string, a: AgentInput): typeof agents.$inferInsert {
  return {
    id: newEventId(),
    accountId,
    name: a.name,
    description: a.description,
    provider: a.provider,
    model: a.model ?? "scripted",
    temperature: a.temperature,
    maxTokens: a.maxTokens,
    personality: a.personality,
    systemPrompt: a.systemPrompt,
    tools: a.tools,
    limits: a.limits,
    enabled: a.enabled,
    config: { scripted: a.scripted, ...(Object.keys(a.memory).length > 0 ? { memory: a.memory } : {}) },
  };
}

/** A new agent's provider and model, to check against what live executors serve. */
export function choiceOf(row: typeof agents.$inferInsert, at: string): ProviderChoice {
  return { provider: row.provider, model: row.model, at };
}

/** How an agent is shown to its owner. */
export function agentView(r: AgentRow): AgentView {
  const provider = Provider.safeParse(r.provider);
  if (!provider.success) throw new AppError("internal", `agent ${r.id} has an unknown provider`);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    provider: provider.data,
    model: r.model,
    temperature: r.temperature,
    maxTokens: r.maxTokens,
    personality: r.personality,
    systemPrompt: r.systemPrompt,
    tools: r.tools,
    limits: r.limits,
    enabled: r.enabled,
    scripted: r.config.scripted ?? {},
    memory: r.config.memory ?? {},
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
