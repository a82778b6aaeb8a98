import { baseEnv, dbEnv, type Env, parseConfig, port } from "@conclave/config";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  HOST: z.string().default("127.0.0.1"),
  EDGE_PORT: port(3000),
  /** Largest request body accepted, with or without Content-Length. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
  /** Longest message text, in characters. */
  MAX_MESSAGE_CHARS: z.coerce.number().int().min(1).max(32_000).default(16_000),
  /** Agents one group may have. */
  MAX_AGENTS_PER_GROUP: z.coerce.number().int().min(1).max(64).default(16),
  /** How long a post waits for JetStream's ack before answering 503. */
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
});

export type EdgeConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
