import type { Authenticator, CredentialBox, KeyStore, TokenSettings } from "@conclave/auth";
import type { FeedOpener, JetStreamClient, KV, RateLimiter } from "@conclave/bus";
import type { Db } from "@conclave/db";
import type { Logger } from "@conclave/log";
import type { MemoryStore } from "@conclave/memory";
import type { Names, TokenDelta } from "@conclave/subjects";
import type { EdgeCaches } from "./cache/edge-caches.js";
import type { EdgeConfig } from "./config.js";
import type { WaitSlots } from "./messages/wait-slots.js";
import type { LiveOffers } from "./providers/live-offers.js";

/** What the edge's services need, built once by the app factory. */
export interface EdgeContext {
  config: Pick<
    EdgeConfig,
    | "MAX_BODY_BYTES"
    | "MAX_MESSAGE_CHARS"
    | "MAX_AGENTS_PER_GROUP"
    | "MAX_AGENTS_PER_ACCOUNT"
    | "PUBLISH_TIMEOUT_MS"
    | "REFRESH_TOKEN_TTL_S"
    | "RATE_LIMIT_PER_MINUTE"
    | "RATE_LIMIT_BURST"
    | "RATE_LIMIT_IP_PER_MINUTE"
    | "RATE_LIMIT_IP_BURST"
    | "LOGIN_SLOW_AFTER"
    | "LOGIN_BLOCK_AFTER"
    | "LOGIN_WINDOW_S"
    | "TRUST_PROXY"
    | "EDGE_MAX_WAITS"
    | "EXPORT_JSON_MAX_EVENTS"
    | "EXPORT_JSON_MAX_LLM_CALLS"
    | "WIDGET_PUBLIC_URL"
    | "WIDGET_STREAM_URL"
  >;
  db: Db;
  js: JetStreamClient;
  names: Names;
  log: Logger;
  /** Whether the event bus link is up right now. */
  busUp: () => boolean;
  keys: KeyStore;
  tokens: TokenSettings;
  auth: Authenticator;
  /**
   * What every post reads, from memory while fresh: group roles and policies. A service that commits
   * a change to access (membership, roles, sessions, keys, a group's settings) calls `changed` after.
   */
  caches: EdgeCaches;
  limiter: RateLimiter;
  /** Claims of the running turn of `reject`-policy groups (bucket `inflight`, key = group id). */
  inflight: KV;
  /** The orchestrator's per-group turn state (bucket `turns`), read to tell a live claim from a stale one. */
  turnState: KV;
  /** Each group's memory (bucket `memory`): blocks, reset fence, window, summary. */
  memory: MemoryStore;
  /** What each live executor serves (bucket `executors`). */
  offers: LiveOffers;
  /** Seals provider credentials for storage. */
  credentials: CredentialBox;
  /** Reads a group's events from the stream (consumers of the edge's own), for `?wait=`. */
  feeds: FeedOpener;
  /** Hears a group's token deltas (core NATS, live only) until the returned function is called. */
  deltas: (groupId: string, onDelta: (delta: TokenDelta) => void) => () => void;
  /** How many requests may wait for a turn's outcome, or stream one (AG-UI), at once (`EDGE_MAX_WAITS`). */
  waits: WaitSlots;
  /** Aborted when the edge stops: every wait then answers what it knows. */
  stopping: AbortSignal;
}
