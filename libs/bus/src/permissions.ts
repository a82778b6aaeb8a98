import { type BUCKETS, CONSUMERS, type Names, type StreamKey } from "@conclave/subjects";

export const BUS_USERS = ["edge", "orchestrator", "executor", "recorder", "fanout"] as const;
export type BusUser = (typeof BUS_USERS)[number];

export type KvBucketKey = Exclude<keyof typeof BUCKETS, "files">;

/**
 * What an app uses on the bus, provisioned beforehand by `conclave provision`: the source of both
 * its NATS permissions and the check it makes at start.
 */
export interface BusNeeds {
  /** Streams it publishes to or reads. */
  streams: StreamKey[];
  /** Durable consumers it pulls from and acks. */
  durables: { stream: StreamKey; name: string }[];
  buckets: { key: KvBucketKey; write: boolean }[];
  files?: "read" | "write";
  /** Reads groups' conversation events through consumers of its own (`groupFeeds`), never a durable's. */
  groupFeeds?: boolean;
}

const durable = (stream: StreamKey, name: string) => ({ stream, name });

export const BUS_NEEDS: Record<BusUser, BusNeeds> = {
  edge: {
    streams: ["conv"],
    durables: [],
    buckets: [
      { key: "limits", write: true },
      { key: "inflight", write: true },
      { key: "turns", write: false },
      { key: "memory", write: true },
      // What live executors serve (GET /v1/providers, agent checks).
      { key: "executors", write: false },
    ],
    files: "write",
    // Waiting for a turn's outcome (`?wait=`).
    groupFeeds: true,
  },
  orchestrator: {
    streams: ["conv", "work", "dlq"],
    durables: [durable("conv", CONSUMERS.orchestrator), durable("work", CONSUMERS.orchestratorTimers)],
    buckets: [
      { key: "turns", write: true },
      { key: "checkpoints", write: true },
      { key: "inflight", write: true },
      { key: "memory", write: true },
    ],
  },
  executor: {
    streams: ["conv", "work", "dlq"],
    durables: [durable("work", CONSUMERS.executorLlm), durable("work", CONSUMERS.executorTool)],
    buckets: [
      { key: "toolLedger", write: true },
      { key: "memory", write: true },
      // Its own offer, renewed while it runs.
      { key: "executors", write: true },
    ],
    files: "read",
  },
  recorder: {
    streams: ["conv", "dlq"],
    durables: [durable("conv", CONSUMERS.recorder)],
    // Retention: each group's memory window, finished turns' checkpoints, and old files.
    buckets: [
      { key: "memory", write: true },
      { key: "checkpoints", write: false },
    ],
    files: "write",
  },
  fanout: { streams: ["conv"], durables: [], buckets: [], groupFeeds: true },
};

export interface Permissions {
  publish: string[];
  /** Exceptions to `publish` (the durables of a stream an app may otherwise make consumers on). */
  publishDeny: string[];
  subscribe: string[];
}

/** The app's own reply subjects (requests, JetStream acks, pulls): no other app may read them. */
export function busInboxPrefix(ns: string, user: BusUser): string {
  return `_INBOX_${ns}_${user}`;
}

const API = "$JS.API";

/** Reading one stream's messages by sequence or subject (KV gets, object chunks, history). */
const readStream = (stream: string) => [
  `${API}.STREAM.MSG.GET.${stream}`,
  `${API}.DIRECT.GET.${stream}`,
  `${API}.DIRECT.GET.${stream}.>`,
];

/** Pulling from a durable and settling its messages (ack, nak, term, in progress). */
const pullDurable = (stream: string, name: string) => [
  `${API}.CONSUMER.INFO.${stream}.${name}`,
  `${API}.CONSUMER.MSG.NEXT.${stream}.${name}`,
  `$JS.ACK.${stream}.${name}.>`,
  // The ack reply form with domain and account hash tokens.
  `$JS.ACK.*.*.${stream}.${name}.>`,
];

/**
 * What each app may publish and subscribe to: its own events only, so a compromised edge cannot
 * forge an `agent.replied` nor an executor a `turn.completed`; of the JetStream API only what it
 * uses (no stream create/update/delete, no message delete, no consumer but its own kind); and
 * replies only on its own inbox prefix.
 */
export function busPermissions(n: Names): Record<BusUser, Permissions> {
  const conv = (type: string) => `${n.ns}.conv.*.${type}`;
  const kvStream = (key: KvBucketKey) => `KV_${n.bucket(key)}`;
  const filesStream = `OBJ_${n.bucket("files")}`;
  const convStream = n.stream("conv");
  const convDurables = BUS_USERS.flatMap((u) => BUS_NEEDS[u].durables).filter((d) => d.stream === "conv");

  const fromNeeds = (needs: BusNeeds): string[] => [
    `${API}.INFO`,
    ...needs.streams.map((s) => `${API}.STREAM.INFO.${n.stream(s)}`),
    ...needs.durables.flatMap((d) => pullDurable(n.stream(d.stream), d.name)),
    ...needs.buckets.flatMap((b) => [
      `${API}.STREAM.INFO.${kvStream(b.key)}`,
      ...readStream(kvStream(b.key)),
      ...(b.write ? [`$KV.${n.bucket(b.key)}.>`] : []),
    ]),
    ...(needs.files ? [`${API}.STREAM.INFO.${filesStream}`, ...readStream(filesStream)] : []),
    ...(needs.files === "write" ? [`$O.${n.bucket("files")}.>`, `${API}.STREAM.PURGE.${filesStream}`] : []),
    // Dead letters of the consumers it runs (not the requeue records under `dlq.requeued`).
    ...new Set(needs.durables.map((d) => n.dlqSubject(n.stream(d.stream)))),
  ];
  // Ordered consumers of one group (the filter is part of the create subject), never a durable's.
  const feeds = {
    publish: [
      `${API}.CONSUMER.CREATE.${convStream}.*.${n.ns}.conv.*.>`,
      `${API}.CONSUMER.INFO.${convStream}.*`,
      `${API}.CONSUMER.DELETE.${convStream}.*`,
      `${API}.CONSUMER.MSG.NEXT.${convStream}.*`,
    ],
    deny: convDurables.flatMap((d) => [
      `${API}.CONSUMER.CREATE.${convStream}.${d.name}.>`,
      `${API}.CONSUMER.DELETE.${convStream}.${d.name}`,
      `${API}.CONSUMER.MSG.NEXT.${convStream}.${d.name}`,
    ]),
  };
  const own = (user: BusUser, publish: string[], extra: Partial<Permissions> = {}): Permissions => {
    const needs = BUS_NEEDS[user];
    return {
      publish: [...publish, ...fromNeeds(needs), ...(needs.groupFeeds ? feeds.publish : [])],
      publishDeny: [...(extra.publishDeny ?? []), ...(needs.groupFeeds ? feeds.deny : [])],
      subscribe: [`${busInboxPrefix(n.ns, user)}.>`, ...(extra.subscribe ?? [])],
    };
  };

  const checkpoints = kvStream("checkpoints");
  return {
    edge: own(
      "edge",
      [
        conv("message.posted"),
        conv("tool.approved"),
        conv("tool.denied"),
        conv("turn.cancel_requested"),
        conv("memory.updated"),
        conv("memory.reset"),
        // A retried Idempotency-Key is compared with the event stored at its seq.
        `${API}.DIRECT.GET.${convStream}`,
        // Committed access changes, to every edge's caches (its own included).
        n.accessFilter(),
      ],
      // Token deltas, for the AG-UI endpoint's streams.
      { subscribe: [n.accessFilter(), n.deltaFilter()] },
    ),
    orchestrator: own("orchestrator", [
      conv("turn.started"),
      conv("turn.completed"),
      conv("turn.failed"),
      // Only for an agent stopped by the tool step limit; replies come from the executor alone.
      conv("agent.failed"),
      conv("speaker.>"),
      conv("guard.>"),
      conv("vote.>"),
      conv("consensus.>"),
      // A block change another app stored and did not get to publish (the memory record's outbox).
      conv("memory.updated"),
      n.workFilter(),
      // A group's next message, by subject after the turn cursor.
      `${API}.DIRECT.GET.${convStream}`,
      // Ending a turn purges its checkpoints; listing them is an ordered push consumer on the bucket.
      `${API}.STREAM.PURGE.${checkpoints}`,
      `${API}.CONSUMER.CREATE.${checkpoints}.*.$KV.${n.bucket("checkpoints")}.>`,
      `${API}.CONSUMER.INFO.${checkpoints}.*`,
      `${API}.CONSUMER.DELETE.${checkpoints}.*`,
      `$JS.FC.${checkpoints}.>`,
    ]),
    executor: own(
      "executor",
      [
        conv("agent.>"),
        conv("tool.>"),
        conv("memory.updated"),
        conv("memory.summarized"),
        conv("budget.>"),
        n.deltaFilter(),
      ],
      { subscribe: [n.accessSubject("budget")] },
    ),
    recorder: own("recorder", [
      // Retention purges a group's subject below its first kept seq, and finished turns' checkpoints.
      `${API}.STREAM.PURGE.${convStream}`,
      `${API}.STREAM.PURGE.${checkpoints}`,
    ]),
    fanout: own("fanout", [], { subscribe: [n.deltaFilter()] }),
  };
}

/** A nats-server `authorization` block giving each app its own user and permissions. */
export function natsAuthorizationConfig(
  n: Names,
  passwords: Record<BusUser, string>,
  admin?: { user: string; password: string },
): string {
  const perms = busPermissions(n);
  const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  // An operator identity without limits (`conclave provision`, tests, tools); apps never use it.
  const adminUser = admin
    ? [`    { user: ${JSON.stringify(admin.user)}, password: ${JSON.stringify(admin.password)} }`]
    : [];
  const users = BUS_USERS.map((u) => {
    const p = perms[u];
    const deny = p.publishDeny.length > 0 ? `, deny: ${list(p.publishDeny)}` : "";
    return `    { user: ${JSON.stringify(u)}, password: ${JSON.stringify(passwords[u])}, permissions: { publish: { allow: ${list(p.publish)}${deny} }, subscribe: { allow: ${list(p.subscribe)} } } }`;
  });
  return `authorization {\n  users: [\n${[...adminUser, ...users].join("\n")}\n  ]\n}\n`;
}
