import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { Names } from "@conclave/subjects";
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, PermissionViolationError } from "@nats-io/transport-node";
import { BUS_NEEDS, type BusUser } from "./permissions.js";

export const PROVISION_COMMAND = "conclave provision";

const isMissing = (e: unknown) =>
  e instanceof JetStreamApiError &&
  (e.code === JetStreamApiCodes.StreamNotFound || e.code === JetStreamApiCodes.ConsumerNotFound);

/**
 * Apps do not create streams, consumers or buckets (their NATS users may not): at start each checks
 * that what it uses exists, and otherwise fails naming the command that provisions it.
 */
export async function assertProvisioned(
  nc: NatsConnection,
  n: Names,
  user: BusUser,
  o: { log?: Logger; ackWaitMs?: number } = {},
): Promise<void> {
  const needs = BUS_NEEDS[user];
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const streams = [
    ...needs.streams.map((s) => n.stream(s)),
    ...needs.buckets.map((b) => `KV_${n.bucket(b.key)}`),
    ...(needs.files ? [`OBJ_${n.bucket("files")}`] : []),
  ];
  const missing: string[] = [];
  const probe = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (e) {
      if (isMissing(e)) missing.push(what);
      else if (e instanceof PermissionViolationError)
        throw new AppError(
          "unavailable",
          `the NATS user of the ${user} may not read ${what}: give it the permissions \`conclave nats-auth\` prints`,
          { cause: e },
        );
      else throw e;
      return undefined;
    }
  };
  for (const s of streams) await probe(`stream ${s}`, () => jsm.streams.info(s));
  for (const d of needs.durables) {
    const stream = n.stream(d.stream);
    const info = await probe(`consumer ${d.name} of ${stream}`, () => jsm.consumers.info(stream, d.name));
    // The consumer's ack wait is the provision step's; a different one here makes keep-alives late.
    const ackWait = info?.config.ack_wait;
    if (o.log && o.ackWaitMs !== undefined && ackWait !== undefined && ackWait !== o.ackWaitMs * 1e6)
      o.log.warn(
        { consumer: d.name, provisionedMs: ackWait / 1e6, configuredMs: o.ackWaitMs },
        "NATS_ACK_WAIT_MS differs from the consumer's ack wait: provision again with the same value",
      );
  }
  if (missing.length > 0)
    throw new AppError(
      "unavailable",
      `NATS is not provisioned for namespace ${n.ns} (missing ${missing.join(", ")}): run \`${PROVISION_COMMAND}\` with an admin NATS identity first`,
    );
}
