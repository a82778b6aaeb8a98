import type { JetStreamClient } from "@conclave/bus";
import type { Db } from "@conclave/db";
import type { Logger } from "@conclave/log";
import type { Names } from "@conclave/subjects";
import type { EdgeConfig } from "./config.js";

/** What the edge's services need, built once by the app factory. */
export interface EdgeContext {
  config: Pick<
    EdgeConfig,
    "MAX_BODY_BYTES" | "MAX_MESSAGE_CHARS" | "MAX_AGENTS_PER_GROUP" | "PUBLISH_TIMEOUT_MS"
  >;
  db: Db;
  js: JetStreamClient;
  names: Names;
  log: Logger;
  /** Whether the event bus link is up right now. */
  busUp: () => boolean;
}
