import { z } from "zod";

export type Env = Record<string, string | undefined>;

/** Thrown when the environment does not fit the schema; lists every issue at once. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join("\n  ")}`);
  }
}

/** Parses the environment once against a zod object; the result is frozen. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
  }
  return Object.freeze(result.data);
}

/** Variables every app shares. */
export const baseEnv = {
  CONCLAVE_NS: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, "letters, digits, _ and - only")
    .default("dev"),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** How long JetStream waits for an ack before redelivering to another worker. */
  NATS_ACK_WAIT_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** Replicas of each stream and bucket: 1 for development, 3 on a production NATS cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Crash tests only: SIGKILL this process before acking its Nth handled message. */
  FAULT_CRASH_BEFORE_ACK: z.coerce.number().int().positive().optional(),
};

/** Variables of apps that use PostgreSQL; unset means embedded PGlite (development). */
export const dbEnv = {
  DATABASE_URL: z.string().url().optional(),
  PGLITE_DIR: z.string().default(".data/pglite"),
};

/** `"1"`, `"true"`, `"yes"` → true; anything else → false. */
export const envFlag = z
  .string()
  .optional()
  .transform((v) => v !== undefined && ["1", "true", "yes"].includes(v.toLowerCase()));

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A config object without secrets, for the start-up log line. */
export function redactConfig(config: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (/SECRET|PASSWORD|TOKEN|KEY/i.test(k)) out[k] = v === undefined ? undefined : "[redacted]";
    else if (typeof v === "string" && /^[a-z]+:\/\/[^@]*:[^@]*@/i.test(v))
      out[k] = v.replace(/\/\/([^:/]*):[^@]*@/, "//$1:[redacted]@");
    else out[k] = v;
  }
  return out;
}
