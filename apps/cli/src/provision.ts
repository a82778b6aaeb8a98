import { connectBus, provision } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import { names } from "@conclave/subjects";
import type { CliConfig } from "./config.js";

/**
 * Creates or updates the namespace's streams, consumers and buckets. The one step that needs an
 * admin NATS identity (NATS_USER/NATS_PASSWORD here, or none on a server without users): the apps'
 * own users may not create or change any of them.
 */
export async function provisionBus(
  config: Pick<
    CliConfig,
    "NATS_URL" | "NATS_USER" | "NATS_PASSWORD" | "CONCLAVE_NS" | "NATS_ACK_WAIT_MS" | "NATS_STREAM_REPLICAS"
  >,
  log: Logger,
): Promise<void> {
  const nc = await connectBus({
    url: config.NATS_URL,
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
    name: "conclave-provision",
    log,
  });
  try {
    const t0 = Date.now();
    await provision(nc, names(config.CONCLAVE_NS), {
      ackWaitMs: config.NATS_ACK_WAIT_MS,
      replicas: config.NATS_STREAM_REPLICAS,
    });
    log.info(
      { ns: config.CONCLAVE_NS, ms: Date.now() - t0 },
      "NATS streams, consumers and buckets provisioned",
    );
  } finally {
    await nc.close();
  }
}
