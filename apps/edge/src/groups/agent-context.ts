import { type Principal, requireGroupAccess } from "@conclave/auth";
import { agents as agentRows, eq } from "@conclave/db";
import { AppError } from "@conclave/errors";
import {
  agentBudget,
  answerMessages,
  assembleTurnMemory,
  countTokens,
  filesContext,
  historyOf,
  loadAgents,
  loadFiles,
  loadGroup,
  MESSAGE_OVERHEAD_TOKENS,
  memorySystemText,
  noMemory,
  promptOf,
  resolveMemory,
  windowStart,
} from "@conclave/memory";
import type { ConversationMessage } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";

/** One part of what an agent is sent, and what it costs. */
export interface ContextPart {
  part: "system_prompt" | "personality" | "memory_blocks" | "summary" | "files" | "history" | "message";
  /** How many messages of `sent.messages` it is (0 for parts of the system prompt). */
  messages: number;
  tokens: number;
}

export interface AgentContext {
  agent: { id: string; name: string; provider: string; model: string };
  /** Exactly what the executor would be sent as this agent's first ask of a turn opened by the message. */
  sent: { systemPrompt: string; messages: ConversationMessage[] };
  parts: ContextPart[];
  tokens: number;
  memory: {
    enabled: boolean;
    windowTokens: number;
    maxMessages: number;
    /** The earlier entries in the window: how many, their seqs, and what they cost. */
    window: { entries: number; fromSeq: number | null; toSeq: number | null; tokens: number };
    summary: { eventId: string; upToSeq: number; tokens: number } | null;
    blocks: { label: string; version: number; chars: number }[];
    resetSeq: number;
  };
}

const tokensOfMessages = (ms: readonly ConversationMessage[]) =>
  ms.reduce((n, m) => n + countTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);

/**
 * What `agentId` would be sent now for a message `content` opening a turn (its first ask, as a
 * broadcast or the first speaker gets it): assembled by the same code, from the same memory
 * record, settings and files as the orchestrator's, with each part's token count. Members,
 * owners and viewers may look; the agent must be seated and enabled in the group.
 */
export async function getAgentContext({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; agentId: string; content: string; authorName?: string | undefined };
}): Promise<AgentContext> {
  const { groupId, agentId } = input;
  await requireGroupAccess(ctx.db, principal, groupId, "read");
  const [group, agents, files, [own]] = await Promise.all([
    loadGroup(ctx.db, groupId),
    loadAgents(ctx.db, groupId),
    loadFiles(ctx.db, groupId),
    ctx.db
      .select({ systemPrompt: agentRows.systemPrompt, personality: agentRows.personality })
      .from(agentRows)
      .where(eq(agentRows.id, agentId)),
  ]);
  const agent = agents.find((a) => a.id === agentId);
  if (!group || !agent)
    throw new AppError("not_found", `no enabled agent ${agentId} seated in group ${groupId}`);
  const settings = resolveMemory(group.settings.memory);
  const context = filesContext(files);
  const record = settings.enabled ? await ctx.memory.read(groupId) : null;
  const turn = record
    ? assembleTurnMemory({ record, memory: settings, agents, files: context })
    : noMemory(context);
  // As the edge posts it: the author is the name given, else the account.
  const prompt = { name: input.authorName ?? principal.accountId, content: input.content };
  const message = answerMessages(prompt, [], agent.name);
  const sent = promptOf(turn, agent, message);
  const history = historyOf(turn, agent.id);
  const blocksText = record ? memorySystemText(record.blocks, null) : "";
  const summaryText = record ? memorySystemText([], record.summary) : "";
  const parts: ContextPart[] = [
    { part: "system_prompt", messages: 0, tokens: countTokens(own?.systemPrompt ?? agent.systemPrompt) },
    { part: "personality", messages: 0, tokens: countTokens(own?.personality.trim() ?? "") },
    { part: "memory_blocks", messages: 0, tokens: countTokens(blocksText) },
    { part: "summary", messages: 0, tokens: countTokens(summaryText) },
    { part: "files", messages: context.length, tokens: tokensOfMessages(context) },
    { part: "history", messages: history.length, tokens: tokensOfMessages(history) },
    { part: "message", messages: message.length, tokens: tokensOfMessages(message) },
  ];
  const entries = record
    ? record.entries.slice(windowStart(record.entries, agentBudget(settings, agent)))
    : [];
  return {
    agent: { id: agent.id, name: agent.name, provider: agent.provider, model: agent.model },
    sent: { systemPrompt: sent.agent.systemPrompt, messages: sent.messages },
    parts,
    tokens: countTokens(sent.agent.systemPrompt) + tokensOfMessages(sent.messages),
    memory: {
      enabled: settings.enabled,
      ...agentBudget(settings, agent),
      window: {
        entries: entries.length,
        fromSeq: entries[0]?.seq ?? null,
        toSeq: entries.at(-1)?.seq ?? null,
        tokens: entries.reduce((n, e) => n + e.tokens, 0),
      },
      summary: record?.summary
        ? { eventId: record.summary.eventId, upToSeq: record.summary.upToSeq, tokens: record.summary.tokens }
        : null,
      blocks: (record?.blocks ?? []).map((b) => ({
        label: b.label,
        version: b.version,
        chars: b.value.length,
      })),
      resetSeq: record?.resetSeq ?? 0,
    },
  };
}
