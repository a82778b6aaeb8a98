import { baseEnv, type Env, parseConfig } from "@conclave/config";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  /** LLM calls run at once by one executor process. */
  EXECUTOR_CONCURRENCY: z.coerce.number().int().min(1).max(4096).default(256),
  /** One LLM call may take at most this long. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(900_000).default(120_000),
  /** After this many failed attempts of one call, the agent's failure is reported to the turn. */
  LLM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(19).default(5),
});

export type ExecutorConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
