import { CONSUMERS, EXECUTOR_OFFER_TTL_MS, type Names } from "@conclave/subjects";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";

const SECOND_NS = 1_000_000_000;
const nanos = (ms: number) => ms * 1_000_000;

export interface ProvisionOptions {
  /** Stream replicas: 1 for development, 3 on a production cluster. */
  replicas?: number;
  /** How long conversation history stays in JetStream (PostgreSQL keeps the projection). */
  convMaxAgeMs?: number;
  /** JetStream's re-publish deduplication window. */
  duplicateWindowMs?: number;
  /** How long a consumer waits for an ack before redelivering. */
  ackWaitMs?: number;
  /** Deliveries before a message is dead-lettered. */
  maxDeliver?: number;
  /** How long an executor's offer outlives its last renewal (executors renew at a third of it). */
  executorOfferTtlMs?: number;
}

export const PROVISION_DEFAULTS: Required<ProvisionOptions> = {
  replicas: 1,
  convMaxAgeMs: 30 * 24 * 3600_000,
  duplicateWindowMs: 10 * 60_000,
  ackWaitMs: 30_000,
  maxDeliver: 20,
  executorOfferTtlMs: EXECUTOR_OFFER_TTL_MS,
};

/** The stream configurations of one deployment, derived from its names. */
type NamedStreamConfig = Partial<StreamConfig> & { name: string };

export function streamConfigs(n: Names, o: Required<ProvisionOptions>): NamedStreamConfig[] {
  return [
    {
      name: n.stream("conv"),
      subjects: [n.convFilter()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: o.replicas,
      max_age: nanos(o.convMaxAgeMs),
      duplicate_window: nanos(o.duplicateWindowMs),
      allow_direct: true,
      max_msg_size: 1024 * 1024,
    },
    {
      name: n.stream("work"),
      subjects: [n.workFilter()],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: o.replicas,
      duplicate_window: nanos(o.duplicateWindowMs),
      max_age: nanos(7 * 24 * 3600_000),
    },
    {
      name: n.stream("dlq"),
      subjects: [n.dlqFilter()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: o.replicas,
      max_age: nanos(14 * 24 * 3600_000),
      duplicate_window: 60 * SECOND_NS,
    },
  ];
}

/** The durable consumers of one deployment: one per worker pool, shared by its replicas. */
export function consumerConfigs(n: Names, o: Required<ProvisionOptions>) {
  const common = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs),
    max_deliver: o.maxDeliver,
  };
  return [
    {
      stream: n.stream("conv"),
      config: {
        ...common,
        durable_name: CONSUMERS.orchestrator,
        filter_subject: n.convFilter(),
        max_ack_pending: 1000,
      },
    },
    {
      stream: n.stream("conv"),
      config: {
        ...common,
        durable_name: CONSUMERS.recorder,
        filter_subject: n.convFilter(),
        max_ack_pending: 1000,
      },
    },
    {
      stream: n.stream("work"),
      config: {
        ...common,
        durable_name: CONSUMERS.executorLlm,
        filter_subject: n.workSubject("llm"),
        // LLM calls mostly wait on the provider: one executor alone may hold a thousand and more
        // (its slots and as many waiting, fair admission), so this caps the pool, not a replica.
        max_ack_pending: 20_000,
      },
    },
    {
      stream: n.stream("work"),
      config: {
        ...common,
        durable_name: CONSUMERS.executorTool,
        filter_subject: n.workSubject("tool"),
        max_ack_pending: 1000,
      },
    },
    // Timers are naked until due, so redeliveries are expected: no delivery limit.
    {
      stream: n.stream("work"),
      config: {
        ...common,
        durable_name: CONSUMERS.orchestratorTimers,
        filter_subject: n.workSubject("timer"),
        max_deliver: -1,
        max_ack_pending: 10_000,
      },
    },
  ];
}

/**
 * Creates (or updates) the streams, consumers and KV buckets of a deployment. Idempotent. Needs an
 * admin NATS identity: `conclave provision` runs it before the apps start, which only check.
 */
export async function provision(nc: NatsConnection, n: Names, options: ProvisionOptions = {}): Promise<void> {
  const o = { ...PROVISION_DEFAULTS, ...options };
  const jsm = await jetstreamManager(nc);
  for (const cfg of streamConfigs(n, o)) await upsertStream(jsm, cfg);
  for (const { stream, config } of consumerConfigs(n, o)) {
    try {
      await jsm.consumers.add(stream, config);
    } catch (e) {
      // An existing consumer with other settings: update what may change.
      await jsm.consumers
        .update(stream, config.durable_name, {
          ack_wait: config.ack_wait,
          max_deliver: config.max_deliver,
          max_ack_pending: config.max_ack_pending,
        })
        .catch(() => {
          throw e;
        });
    }
  }
  const kvm = new Kvm(nc);
  await kvm.create(n.bucket("turns"), { history: 1, replicas: o.replicas });
  await new Objm(nc).create(n.bucket("files"), { replicas: o.replicas });
  await kvm.create(n.bucket("toolLedger"), { history: 1, replicas: o.replicas, ttl: 30 * 24 * 3600_000 });
  // Idle limit entries expire; a missing bucket is a full one.
  await kvm.create(n.bucket("limits"), { history: 1, replicas: o.replicas, ttl: 3600_000 });
  // Purged when their turn ends; the age limit only sweeps what a crash left behind.
  await kvm.create(n.bucket("checkpoints"), { history: 1, replicas: o.replicas, ttl: 24 * 3600_000 });
  // Lives as long as its group (deleting a group deletes its key).
  await kvm.create(n.bucket("memory"), { history: 1, replicas: o.replicas });
  // A claim outlives the longest turn a group may set (1 h); the edge also frees claims it can prove stale.
  await kvm.create(n.bucket("inflight"), { history: 1, replicas: o.replicas, ttl: 2 * 3600_000 });
  // The bucket's age limit, not per-message TTLs (nats-server 2.11+): a dead executor's offer ages out on 2.9 too.
  await kvm.create(n.bucket("executors"), { history: 1, replicas: o.replicas, ttl: o.executorOfferTtlMs });
}

async function upsertStream(jsm: JetStreamManager, cfg: NamedStreamConfig): Promise<void> {
  const name = cfg.name;
  try {
    await jsm.streams.info(name);
    const { name: _n, retention: _r, storage: _s, ...mutable } = cfg;
    await jsm.streams.update(name, mutable);
  } catch (e) {
    if (isNotFound(e)) await jsm.streams.add(cfg);
    else throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;
}
