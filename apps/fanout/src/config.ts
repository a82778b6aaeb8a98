import { authEnv, baseEnv, dbEnv, type Env, parseConfig, port } from "@conclave/config";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  ...authEnv,
  HOST: z.string().default("127.0.0.1"),
  FANOUT_PORT: port(3001),
  /** Serves /metrics, /healthz, /readyz and /health/detailed, apart from the public port (0: any free one). */
  FANOUT_OPS_PORT: port(9102),
  /** Seconds between heartbeats on an idle socket; a client that misses two pongs is dropped. */
  WS_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** Bytes queued for one socket before it is closed as a slow consumer (4008). */
  WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  /** Groups one socket may follow at once. */
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(1000).default(50),
  /** Largest client frame accepted. */
  WS_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .default(16 * 1024),
  /** A socket that has not authenticated this long after opening is closed (4401). */
  WS_AUTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** How long one pull of a live feed waits on NATS; an idle subscription costs a pull per period. */
  FANOUT_PULL_EXPIRES_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  /** How often an open socket's credential is checked again (logout, expiry, revocation end it). */
  WS_REAUTH_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** How often the fanout checks that each open stream's reader still belongs to its group (at most 5 s). */
  ACCESS_RECHECK_MS: z.coerce.number().int().min(100).max(5000).default(2000),
});

export type FanoutConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
