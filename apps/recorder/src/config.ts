import { baseEnv, dbEnv, type Env, parseConfig } from "@conclave/config";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  /** Events projected at once by one recorder process (each in its own transaction). */
  RECORDER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
});

export type RecorderConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
