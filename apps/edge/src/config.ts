import { authEnv, baseEnv, dbEnv, type Env, envFlag, parseConfig, port } from "@conclave/config";
import { z } from "zod";
import { proxyRoutesEnv } from "./proxy/proxy-routes-config.js";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  ...authEnv,
  HOST: z.string().default("127.0.0.1"),
  EDGE_PORT: port(3000),
  /** Serves /metrics, /healthz, /readyz and /health/detailed, apart from the public port (0: any free one). */
  EDGE_OPS_PORT: port(9101),
  /** Largest request body accepted, with or without Content-Length. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
  /** Largest uploaded file (CSV), with or without Content-Length; at most what the dataset tool reads. */
  MAX_FILE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(5 * 1024 * 1024)
    .default(5 * 1024 * 1024),
  /** Longest message text, in characters. */
  MAX_MESSAGE_CHARS: z.coerce.number().int().min(1).max(32_000).default(16_000),
  /** Agents one group may have. */
  MAX_AGENTS_PER_GROUP: z.coerce.number().int().min(1).max(64).default(16),
  /** Agents one account may own. */
  MAX_AGENTS_PER_ACCOUNT: z.coerce.number().int().min(1).max(100_000).default(2000),
  /** How long a post waits for JetStream's ack before answering 503. */
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
  /** Requests of this edge waiting at once for a turn's outcome (`?wait=`); beyond it they answer 202 at once. */
  EDGE_MAX_WAITS: z.coerce.number().int().min(0).max(100_000).default(1000),
  /** Events (over every group exported) a `format=json` export may hold; larger exports must stream NDJSON. */
  EXPORT_JSON_MAX_EVENTS: z.coerce.number().int().min(0).max(1_000_000).default(5000),
  /** LLM calls (each with its whole prompt) a `format=json` export may hold. */
  EXPORT_JSON_MAX_LLM_CALLS: z.coerce.number().int().min(0).max(100_000).default(1000),
  /**
   * How long the edge answers from memory what every post reads (principal, group role, group
   * policy); changes are announced to every edge, this bounds a lost announcement. 0 turns it off.
   */
  ACCESS_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  /** Entries each of those caches keeps at most. */
  ACCESS_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Requests per minute (and burst) per user or API key, shared by every edge replica. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Requests per minute (and burst) per client address on the unauthenticated routes (register, login...). */
  RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  RATE_LIMIT_IP_BURST: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Failed logins (per address or per account) after which each attempt is slowed, then blocked. */
  LOGIN_SLOW_AFTER: z.coerce.number().int().min(1).max(100).default(3),
  LOGIN_BLOCK_AFTER: z.coerce.number().int().min(1).max(1000).default(10),
  /** The window failed logins are counted in, and how long a block lasts. */
  LOGIN_WINDOW_S: z.coerce.number().int().min(10).max(86_400).default(900),
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  TRUST_PROXY: envFlag,
  /** The public URL embed codes load /widget.js and call the API from (unset: the request's own origin). */
  WIDGET_PUBLIC_URL: z.url().optional(),
  /** Where the widget reads a group's events (the fanout's public URL; unset: the API's, behind one ingress). */
  WIDGET_STREAM_URL: z.url().optional(),
  /** Upstreams the edge proxies to, as a JSON array of routes (see README, "Reverse proxy"). */
  PROXY_ROUTES: proxyRoutesEnv,
  /** The console's built files (`npm run build`), served under /console; unset: apps/console/dist of this checkout or image. */
  CONSOLE_DIR: z.string().min(1).optional(),
  /**
   * The fanout's WebSocket URL as browsers reach it (e.g. wss://stream.example.com/v1/stream); the
   * console connects there and its CSP allows it. Unset: the request's host with FANOUT_PORT.
   */
  PUBLIC_STREAM_URL: z.url({ protocol: /^wss?$/, message: "a ws:// or wss:// URL" }).optional(),
  /** The fanout's port, for the default PUBLIC_STREAM_URL (development: every app on one host). */
  FANOUT_PORT: port(3001),
});

export type EdgeConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
