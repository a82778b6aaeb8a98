import { type AgentSnapshot, MEMORY_DEFAULTS, type MemorySettings } from "@conclave/subjects";

/** A group's memory settings with every default filled in. */
export interface ResolvedMemory {
  enabled: boolean;
  windowTokens: number;
  maxMessages: number;
  summarizeAfterTokens: number;
  summarizerAgentId: string | null;
}

export function resolveMemory(settings: MemorySettings | undefined): ResolvedMemory {
  const s = settings ?? {};
  return {
    enabled: s.enabled ?? MEMORY_DEFAULTS.enabled,
    windowTokens: s.windowTokens ?? MEMORY_DEFAULTS.windowTokens,
    maxMessages: s.maxMessages ?? MEMORY_DEFAULTS.maxMessages,
    summarizeAfterTokens: s.summarizeAfterTokens ?? MEMORY_DEFAULTS.summarizeAfterTokens,
    summarizerAgentId: s.summarizerAgentId ?? null,
  };
}

/** How much earlier conversation one agent's prompts carry: its own window, else the group's. */
export interface WindowBudget {
  windowTokens: number;
  maxMessages: number;
}

export function agentBudget(memory: ResolvedMemory, agent: Pick<AgentSnapshot, "memory">): WindowBudget {
  if (!memory.enabled) return { windowTokens: 0, maxMessages: 0 };
  return {
    windowTokens: agent.memory?.windowTokens ?? memory.windowTokens,
    maxMessages: agent.memory?.maxMessages ?? memory.maxMessages,
  };
}
