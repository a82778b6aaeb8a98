import { baseEnv, dbEnv, type Env, parseConfig } from "@conclave/config";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  /** A turn that has not ended after this long fails with reason `timeout`. */
  TURN_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  /** Rounds of tool calls one agent may make in one turn; past it the agent fails. */
  TURN_MAX_TOOL_STEPS: z.coerce.number().int().min(1).max(100).default(8),
  /** LLM calls (asks) one turn may make across its agents, where the group sets no `maxAgentSteps`. */
  TURN_MAX_AGENT_STEPS: z.coerce.number().int().min(1).max(500).default(50),
  /** How long a `debate_vote` ballot stays open, where the group sets no `voting.deadlineMs`. */
  VOTE_DEADLINE_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** Conversation events handled at once by one replica (across groups). */
  ORCHESTRATOR_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
});

export type OrchestratorConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
