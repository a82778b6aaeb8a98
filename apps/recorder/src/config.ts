import { baseEnv, dbEnv, type Env, parseConfig, port } from "@conclave/config";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  HOST: z.string().default("127.0.0.1"),
  /** Serves /metrics, /healthz, /readyz and /health/detailed (0: any free port). */
  RECORDER_OPS_PORT: port(9103),
  /** Events one recorder process holds at once; those delivered while a transaction runs go into the next one together. */
  RECORDER_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(128),
  /** How often the recorder sweeps away history older than each group's `retentionDays` (0: never). */
  RETENTION_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .default(3_600_000),
});

export type RecorderConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
