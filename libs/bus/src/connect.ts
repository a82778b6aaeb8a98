import { describeError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { connect, type NatsConnection } from "@nats-io/transport-node";

export type { NatsConnection };

const linkUp = new WeakMap<NatsConnection, boolean>();

/**
 * Whether the connection is up now. While it is down the client buffers publishes and sends them
 * on reconnect, so a caller that must not publish late (the edge answering 503) checks this first.
 */
export function busConnected(nc: NatsConnection): boolean {
  return !nc.isClosed() && linkUp.get(nc) !== false;
}

/** Connects to NATS and keeps reconnecting for ever; connection state changes are logged. */
export async function connectBus(options: {
  url: string;
  name: string;
  log: Logger;
  timeoutMs?: number;
  /** This app's own NATS user, when the server enforces per-app permissions. */
  user?: string | undefined;
  password?: string | undefined;
  /** Where replies come back (`busInboxPrefix`): an app may subscribe to its own prefix only. */
  inboxPrefix?: string | undefined;
}): Promise<NatsConnection> {
  const nc = await connect({
    ...(options.user ? { user: options.user, pass: options.password ?? "" } : {}),
    ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
    servers: options.url.split(","),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: options.timeoutMs ?? 5000,
    // Async stack traces cost an Error per request on the hot path (about a fifth of a worker's CPU).
    noAsyncTraces: true,
  });
  linkUp.set(nc, true);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") linkUp.set(nc, false);
      if (s.type === "reconnect") linkUp.set(nc, true);
      if (s.type === "disconnect" || s.type === "reconnect" || s.type === "error") {
        options.log.warn(
          {
            status: s.type,
            server: "server" in s ? s.server : undefined,
            // A permission violation names the refused subject.
            ...(s.type === "error" ? { err: describeError(s.error) } : {}),
          },
          "nats connection status",
        );
      }
    }
  })();
  return nc;
}
