import type { Names } from "@conclave/subjects";

export const BUS_USERS = ["edge", "orchestrator", "executor", "recorder", "fanout"] as const;
export type BusUser = (typeof BUS_USERS)[number];

export interface Permissions {
  publish: string[];
  subscribe: string[];
}

/**
 * What each app may publish and subscribe to: its own events only, so a compromised edge cannot
 * forge an `agent.replied` nor an executor a `turn.completed`. Every app still needs the JetStream
 * API (it provisions at start), acks, and its reply inboxes.
 */
export function busPermissions(n: Names): Record<BusUser, Permissions> {
  const conv = (type: string) => `${n.ns}.conv.*.${type}`;
  const kv = (bucket: "turns" | "limits" | "toolLedger" | "checkpoints" | "inflight") =>
    `$KV.${n.bucket(bucket)}.>`;
  const js = ["$JS.API.>"];
  const worker = [...js, "$JS.ACK.>", n.dlqFilter()];
  const inbox = ["_INBOX.>"];
  return {
    edge: {
      publish: [
        conv("message.posted"),
        conv("tool.approved"),
        conv("tool.denied"),
        conv("turn.cancel_requested"),
        kv("limits"),
        kv("inflight"),
        `$O.${n.bucket("files")}.>`,
        ...js,
      ],
      subscribe: inbox,
    },
    orchestrator: {
      publish: [
        conv("turn.started"),
        conv("turn.completed"),
        conv("turn.failed"),
        // Only for an agent stopped by the tool step limit; replies come from the executor alone.
        conv("agent.failed"),
        conv("speaker.>"),
        conv("guard.>"),
        conv("vote.>"),
        conv("consensus.>"),
        n.workFilter(),
        kv("turns"),
        kv("checkpoints"),
        kv("inflight"),
        ...worker,
      ],
      subscribe: inbox,
    },
    executor: {
      publish: [conv("agent.>"), conv("tool.>"), n.deltaFilter(), kv("toolLedger"), ...worker],
      subscribe: inbox,
    },
    recorder: { publish: worker, subscribe: inbox },
    fanout: { publish: js, subscribe: [...inbox, n.deltaFilter()] },
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
  // An operator identity without limits (provisioning, tests, tools); apps never use it.
  const adminUser = admin
    ? [`    { user: ${JSON.stringify(admin.user)}, password: ${JSON.stringify(admin.password)} }`]
    : [];
  const users = BUS_USERS.map(
    (u) =>
      `    { user: ${JSON.stringify(u)}, password: ${JSON.stringify(passwords[u])}, permissions: { publish: { allow: ${list(perms[u].publish)} }, subscribe: { allow: ${list(perms[u].subscribe)} } } }`,
  );
  return `authorization {\n  users: [\n${[...adminUser, ...users].join("\n")}\n  ]\n}\n`;
}
