import { busConnected, type NatsConnection } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import { AccessChanged, type Names } from "@conclave/subjects";

/** Committed access changes between the edge replicas (core NATS), so each can drop what it cached. */
export interface AccessChanges {
  /**
   * Applies a change this edge committed to its own caches at once, then tells every edge. Resolves
   * once the server has routed it (bounded by FLUSH_WAIT_MS: the caches' TTL covers a lost one).
   */
  announce(change: AccessChanged): Promise<void>;
  stop(): void;
}

/** How long an announcement waits for the server's word before the request answers anyway. */
const FLUSH_WAIT_MS = 1000;

/**
 * Subscribes to the deployment's access changes: `apply` gets each one (this edge's own too);
 * `applyAll` is called whenever some may have been missed (a disconnect or reconnect, an unreadable
 * notice), and the caller then drops everything. Listening once this resolves.
 */
export async function watchAccessChanges({
  nc,
  names,
  log,
  apply,
  applyAll,
}: {
  nc: NatsConnection;
  names: Names;
  log: Logger;
  apply: (change: AccessChanged) => void;
  applyAll: () => void;
}): Promise<AccessChanges> {
  const sub = nc.subscribe(names.accessFilter(), {
    callback: (err, msg) => {
      if (err) {
        log.warn({ err }, "access changes subscription failed; caches dropped");
        applyAll();
        return;
      }
      const parsed = AccessChanged.safeParse(safeJson(msg.string()));
      if (parsed.success) apply(parsed.data);
      else {
        log.warn(
          { subject: msg.subject, issues: parsed.error.issues },
          "unreadable access change; caches dropped",
        );
        applyAll();
      }
    },
  });
  let stopped = false;
  void (async () => {
    // Ends with the connection (or at the first status after `stop`).
    for await (const s of nc.status()) {
      if (stopped) break;
      if (s.type === "disconnect" || s.type === "reconnect") applyAll();
    }
  })();
  // The server has the subscription before anything is served from a cache.
  await nc.flush();

  return {
    async announce(change) {
      apply(change);
      const data = AccessChanged.parse(change);
      try {
        nc.publish(names.accessSubject(data.kind), JSON.stringify(data));
      } catch (e) {
        // Committed already: the other edges' TTL ends what they cached.
        log.warn({ err: e, change }, "access change not announced");
        return;
      }
      // While the link is down the notice waits in the client's buffer for the reconnect; the other
      // edges' TTL bounds that wait, so the request does not wait for it.
      if (!busConnected(nc)) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        nc.flush().catch((e: unknown) => log.warn({ err: e, change }, "access change not confirmed")),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, FLUSH_WAIT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    },
    stop() {
      stopped = true;
      sub.unsubscribe();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
