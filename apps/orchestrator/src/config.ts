import { baseEnv, dbEnv, type Env, parseConfig, port } from "@conclave/config";
import { PROVIDERS, Provider } from "@conclave/subjects";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  HOST: z.string().default("127.0.0.1"),
  /** Serves /metrics, /healthz, /readyz and /health/detailed (0: any free port). */
  ORCHESTRATOR_OPS_PORT: port(9104),
  /** A turn that has not ended after this long fails with reason `timeout`. */
  TURN_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  /** Rounds of tool calls one agent may make in one turn; past it the agent fails. */
  TURN_MAX_TOOL_STEPS: z.coerce.number().int().min(1).max(100).default(8),
  /** LLM calls (asks) one turn may make across its agents, where the group sets no `maxAgentSteps`. */
  TURN_MAX_AGENT_STEPS: z.coerce.number().int().min(1).max(500).default(50),
  /** How long a `debate_vote` ballot stays open, where the group sets no `voting.deadlineMs`. */
  VOTE_DEADLINE_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /**
   * Who summarizes a group's memory when the group names no `settings.memory.summarizerAgentId`:
   * `<provider>:<model>` (e.g. `anthropic:claude-haiku-4-5`), answered with the executor's keys.
   * Unset: such groups get no summaries; what falls out of the window is only found by search.
   */
  MEMORY_SUMMARIZER: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return null;
      const at = v.indexOf(":");
      const provider = Provider.safeParse(v.slice(0, at));
      if (at < 1 || !provider.success || at === v.length - 1) {
        ctx.addIssue({
          code: "custom",
          message: `must be <provider>:<model> with a provider of ${PROVIDERS.join(", ")}`,
        });
        return z.NEVER;
      }
      return { provider: provider.data, model: v.slice(at + 1) };
    }),
  /** Conversation events handled at once by one replica (across groups). */
  ORCHESTRATOR_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
});

export type OrchestratorConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
