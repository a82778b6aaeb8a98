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
  /** This app's NATS user and password, where the server gives each app its own permissions. */
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** OTLP/HTTP collector (`http://otel-collector:4318`); unset, spans are not recorded (trace ids still travel). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Share of new traces recorded when exporting (a caller's sampled `traceparent` is always followed). */
  OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
  /** How long JetStream waits for an ack before redelivering to another worker. */
  NATS_ACK_WAIT_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** Replicas of each stream and bucket: 1 for development, 3 on a production NATS cluster. */
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Crash tests only: SIGKILL this process before acking its Nth handled message. */
  FAULT_CRASH_BEFORE_ACK: z
    .string()
    .regex(/^([a-z-]+:)?[1-9][0-9]*$/, "N, or <consumer>:N")
    .optional()
    .transform((v) => {
      if (v === undefined) return undefined;
      const [a, b] = v.includes(":") ? v.split(":") : [undefined, v];
      return { consumer: a, after: Number(b) };
    }),
};

/** Variables of apps that use PostgreSQL; unset means embedded PGlite (development). */
export const dbEnv = {
  DATABASE_URL: z.string().url().optional(),
  PGLITE_DIR: z.string().default(".data/pglite"),
};

const DEV_KEY_ENCRYPTION_KEY = Buffer.from("conclave-development-only-key-32").toString("base64");

/** Variables of apps that verify credentials (edge, fanout). */
export const authEnv = {
  /** `iss` and `aud` of access tokens; both are checked on every request. */
  AUTH_ISSUER: z.string().min(1).default("conclave"),
  AUTH_AUDIENCE: z.string().min(1).default("conclave-api"),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(30 * 86_400),
  /** 32 bytes, base64: encrypts the token signing keys at rest. The default is for development only. */
  KEY_ENCRYPTION_KEY: z
    .string()
    .default(DEV_KEY_ENCRYPTION_KEY)
    .refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded"),
  /** How long the signing-key list is cached; a rotation reaches every replica within this. */
  SIGNING_KEYS_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Browser origins allowed to call the API and open the WebSocket (comma-separated); empty: none. */
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    ),
};

/** True when the development key encryption key is in use (logged as a warning). */
export const usesDevKeyEncryptionKey = (v: string) => v === DEV_KEY_ENCRYPTION_KEY;

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
