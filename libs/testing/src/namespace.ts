import { randomBytes } from "node:crypto";
import { connectBus, jetstreamManager, Kvm, type NatsConnection, Objm, provision } from "@conclave/bus";
import { BUCKETS, type Names, names, STREAMS } from "@conclave/subjects";
import { testEnv } from "./env.js";
import { quietLogger } from "./logger.js";

/** A namespace of this test's own, so its streams, consumers and subjects overlap nobody's. */
export function uniqueNamespace(prefix = "t"): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

export interface TestBus {
  nc: NatsConnection;
  names: Names;
  /** Deletes this namespace's streams and buckets, and closes the connection. */
  dispose(): Promise<void>;
}

export async function openTestBus(
  ns = uniqueNamespace(),
  url = testEnv.TEST_NATS_URL,
  auth?: { user: string; password: string },
): Promise<TestBus> {
  const nc = await connectBus({
    ...(auth ? { user: auth.user, password: auth.password } : {}),
    url,
    name: `test-${ns}`,
    log: quietLogger(),
  });
  const n = names(ns);
  return {
    nc,
    names: n,
    async dispose() {
      const jsm = await jetstreamManager(nc);
      for (const key of Object.keys(STREAMS) as (keyof typeof STREAMS)[])
        await jsm.streams.delete(n.stream(key)).catch(() => undefined);
      const kvm = new Kvm(nc);
      for (const key of Object.keys(BUCKETS) as (keyof typeof BUCKETS)[]) {
        await kvm
          .open(n.bucket(key))
          .then((kv) => kv.destroy())
          .catch(() => undefined);
      }
      const objm = new Objm(nc);
      await objm
        .open(n.bucket("files"))
        .then((os) => os.destroy())
        .catch(() => undefined);
      await nc.close();
    },
  };
}

/** A test bus whose namespace is provisioned, as `conclave provision` does before apps start. */
export async function openProvisionedBus(...args: Parameters<typeof openTestBus>): Promise<TestBus> {
  const bus = await openTestBus(...args);
  await provision(bus.nc, bus.names);
  return bus;
}
