import type { Logger } from "@conclave/log";
import { connect, type NatsConnection } from "@nats-io/transport-node";

export type { NatsConnection };

/** Connects to NATS and keeps reconnecting for ever; connection state changes are logged. */
export async function connectBus(options: {
  url: string;
  name: string;
  log: Logger;
  timeoutMs?: number;
}): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.url.split(","),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: options.timeoutMs ?? 5000,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect" || s.type === "error") {
        options.log.warn(
          { status: s.type, server: "server" in s ? s.server : undefined },
          "nats connection status",
        );
      }
    }
  })();
  return nc;
}
