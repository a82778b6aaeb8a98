import { randomBytes } from "node:crypto";
import {
  BUS_USERS,
  type BusUser,
  busInboxPrefix,
  connectBus,
  jetstream,
  jetstreamManager,
  type NatsConnection,
  natsAuthorizationConfig,
  publishEnvelope,
} from "@conclave/bus";
import { openDb } from "@conclave/db";
import { createRetention } from "@conclave/recorder";
import { CONSUMERS, makeEnvelope, names, newEventId } from "@conclave/subjects";
import {
  capturingLogger,
  type OwnNatsServer,
  quietLogger,
  startOwnNatsServer,
  startSystem,
  type TestSystem,
  uniqueNamespace,
  waitUntil,
} from "@conclave/testing";
import { AckPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { PermissionViolationError } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ns = uniqueNamespace();
const n = names(ns);
const secret = () => randomBytes(12).toString("hex");
const passwords = Object.fromEntries(BUS_USERS.map((u) => [u, secret()])) as Record<BusUser, string>;
const admin = { user: "operator", password: secret() };
let nats: OwnNatsServer;
let sys: TestSystem;

beforeAll(async () => {
  nats = await startOwnNatsServer({ config: natsAuthorizationConfig(n, passwords, admin), ...admin });
  sys = await startSystem({
    ns,
    natsUrl: nats.url,
    natsAuth: { admin, apps: passwords },
    // The recorder's periodic retention sweep runs under its user too.
    envFor: { recorder: { RETENTION_INTERVAL_MS: "2000" } },
  });
});
afterAll(async () => {
  await sys?.stop();
  await nats?.dispose();
});

/** The server's refusal, as a request's error (its cause) or a subscription's. */
const isPermissionViolation = (e: unknown) =>
  e instanceof PermissionViolationError ||
  (e instanceof Error && e.cause instanceof PermissionViolationError);

/** A connection as an app's NATS user, with that app's own inbox prefix (as the app connects). */
const connectAs = (user: BusUser, inboxPrefix = busInboxPrefix(ns, user)) =>
  connectBus({
    url: nats.url,
    name: `attacker-${user}`,
    user,
    password: passwords[user],
    inboxPrefix,
    // Each refusal is also a connection status line: keep them out of the test's output.
    log: capturingLogger("attacker").log,
  });

async function publishAs(
  user: BusUser,
  type: "agent.replied" | "turn.completed" | "message.posted",
  groupId: string,
) {
  const nc = await connectAs(user);
  const id = newEventId();
  const actor = { kind: "agent" as const, id: newEventId() };
  const base = { id, groupId, turnId: newEventId(), causationId: null, actor };
  const e =
    type === "agent.replied"
      ? makeEnvelope({
          ...base,
          type,
          payload: {
            agentId: actor.id,
            agentName: "Forged",
            content: "forged",
            provider: "scripted",
            model: "m",
            latencyMs: 1,
          },
        })
      : type === "turn.completed"
        ? makeEnvelope({ ...base, type, payload: { messageId: id, replyIds: [], durationMs: 1 } })
        : makeEnvelope({
            ...base,
            type,
            actor: { kind: "user", id: "u" },
            payload: { messageId: id, content: "hello" },
          });
  try {
    await publishEnvelope(jetstream(nc), n, e, { timeoutMs: 1500 });
    return "stored";
  } catch {
    return "refused";
  } finally {
    await nc.close();
  }
}

describe("per-app NATS users", () => {
  it("run the whole pipeline with each app limited to its own subjects", async () => {
    const group = (
      await sys.post("/v1/groups", { name: "perms", agents: [{ name: "Ada" }, { name: "Grace" }] })
    ).body as { id: string };
    const client = await sys.openStream();
    await client.subscribe(group.id, 0);
    expect((await sys.post(`/v1/groups/${group.id}/messages`, { content: "hi" })).status).toBe(202);
    await client.waitFor("the turn to end", (f) => f.event?.type === "turn.completed");
    expect(client.events(group.id).map((f) => f.event?.type)).toHaveLength(5);
    await client.close();
    // A retry under the same Idempotency-Key is compared with the stored event (a direct get).
    const keyed = (content: string) =>
      sys.request("POST", `/v1/groups/${group.id}/messages`, {
        body: { content },
        headers: { "idempotency-key": "perm-retry" },
      });
    const first = await keyed("once");
    expect(first.status).toBe(202);
    expect((await keyed("once")).body).toEqual(first.body);
    expect((await keyed("another body")).status).toBe(422);
  });

  it("run a debate, a reject-policy claim and a cancel with each app limited to its own subjects", async () => {
    const vote = (choice: string) => [{ choice, confidence: 1, rationale: "r" }];
    const debate = (
      await sys.post("/v1/groups", {
        name: "perms debate",
        strategy: "debate_vote",
        settings: { concurrentInput: "reject", turnLimits: { maxRounds: 1 } },
        agents: [
          { name: "Ada", scripted: { delayMs: 300, votes: vote("Ada") } },
          { name: "Grace", scripted: { delayMs: 300, votes: vote("Ada") } },
        ],
      })
    ).body as { id: string };
    const client = await sys.openStream();
    await client.subscribe(debate.id, 0);
    const first = await sys.post(`/v1/groups/${debate.id}/messages`, { content: "which?" });
    expect(first.status).toBe(202);
    // The edge's claim (inflight bucket) refuses a second post while the turn runs.
    expect((await sys.post(`/v1/groups/${debate.id}/messages`, { content: "and now?" })).status).toBe(409);
    await client.waitFor("the debate to end", (f) => f.event?.type === "turn.completed", 30_000);
    const types = client.events(debate.id).map((f) => f.event?.type);
    expect(types).toContain("vote.opened");
    expect(types.filter((t) => t === "vote.cast")).toHaveLength(2);
    expect(types).toContain("consensus.reached");
    // The orchestrator released the claim (its own KV write): a new post is admitted and can be cancelled.
    const second = await sys.post(`/v1/groups/${debate.id}/messages`, { content: "again" });
    expect(second.status).toBe(202);
    const turnId = (second.body as { turnId: string }).turnId;
    await client.waitFor(
      "the second turn to start",
      (f) => f.event?.type === "turn.started" && f.event.turnId === turnId,
    );
    expect((await sys.post(`/v1/groups/${debate.id}/turns/${turnId}/cancel`, {})).status).toBe(202);
    const ended = await client.waitFor(
      "the cancelled turn to end",
      (f) => f.event?.type === "turn.failed" && f.event.turnId === turnId,
      30_000,
    );
    expect(ended.event?.payload.reason).toBe("cancelled");
    // Compacting checkpoints and releasing claims went through under the orchestrator's permissions.
    expect(sys.app("orchestrator").lines.filter((l) => l.includes("cleanup after the turn failed"))).toEqual(
      [],
    );
    // No app was refused anything it does (the ordered feeds, acks, KV, checkpoint listing, files).
    for (const a of sys.apps) expect(a.lines.filter((l) => l.includes("Permissions Violation"))).toEqual([]);
    await client.close();
  });

  it("let the recorder sweep retention under its own user: stream, tables, memory window and files", async () => {
    const group = (
      await sys.post("/v1/groups", {
        name: "perms retention",
        settings: { retentionDays: 1 },
        agents: [{ name: "Ada" }],
      })
    ).body as { id: string };
    const uploaded = await fetch(`${sys.edgeUrl}/v1/groups/${group.id}/files?name=a.csv`, {
      method: "POST",
      headers: { authorization: `Bearer ${sys.user.accessToken}`, "content-type": "text/csv" },
      body: "a,b\n1,2\n",
    });
    expect(uploaded.status).toBe(201);
    const client = await sys.openStream();
    await client.subscribe(group.id, 0);
    expect((await sys.post(`/v1/groups/${group.id}/messages`, { content: "hi" })).status).toBe(202);
    await client.waitFor("the turn to end", (f) => f.event?.type === "turn.completed");
    await client.close();
    const handle = await openDb({ url: sys.db.url, poolSize: 1 });
    const nc = await connectAs("recorder");
    try {
      const retention = createRetention({ db: handle.db, nc, names: n, log: quietLogger() });
      const now = new Date(Date.now() + 2 * 86_400_000);
      const swept = await waitUntil("the turn recorded and swept", async () => {
        const g = (await retention.run({ now, groupId: group.id })).groups[0];
        return g && g.rows.turns > 0 ? g : undefined;
      });
      expect(swept.stream.messages).toBe(4);
      expect(swept.rows).toMatchObject({ events: 4, messages: 2, turns: 1, files: 1 });
      expect(swept.memoryEntries).toBeGreaterThan(0);
      const info = await (await jetstreamManager(sys.bus.nc)).streams.info(n.stream("conv"), {
        subjects_filter: n.groupFilter(group.id),
      });
      expect(info.state.subjects ?? {}).toEqual({});
      await sys.app("recorder").waitForLog("retention sweep done", 20_000);
      expect(sys.app("recorder").lines.filter((l) => l.includes("retention sweep failed"))).toEqual([]);
    } finally {
      await nc.close();
      await handle.close();
    }
  });

  it("refuse an edge forging an agent reply or a turn's end, and an executor forging a turn's end", async () => {
    const groupId = newEventId();
    expect(await publishAs("edge", "agent.replied", groupId)).toBe("refused");
    expect(await publishAs("edge", "turn.completed", groupId)).toBe("refused");
    expect(await publishAs("executor", "turn.completed", groupId)).toBe("refused");
    expect(await publishAs("fanout", "message.posted", groupId)).toBe("refused");
    expect(await publishAs("recorder", "agent.replied", groupId)).toBe("refused");
    // What each may do, it can.
    expect(await publishAs("edge", "message.posted", groupId)).toBe("stored");
    expect(await publishAs("executor", "agent.replied", groupId)).toBe("stored");
  });

  it("let each executor advertise what it serves, and the edge read it (GET /v1/providers)", async () => {
    const res = await sys.get("/v1/providers");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      executors: 1,
      providers: [{ provider: "scripted", models: null, executors: 1, via: ["executor"] }],
    });
  });

  describe("refuse every JetStream API call an app does not need", () => {
    let admin_: NatsConnection;
    let adminJsm: JetStreamManager;
    const conv = n.stream("conv");
    const durables = async () => (await adminJsm.consumers.list(conv).next()).map((c) => c.name).sort();

    beforeAll(async () => {
      admin_ = await connectBus({ url: nats.url, name: "checker", ...admin, log: quietLogger() });
      adminJsm = await jetstreamManager(admin_);
    });
    afterAll(async () => {
      await admin_?.close();
    });

    /** Runs `attack` as `user`: "refused" only for the server's permission violation, never a timeout. */
    async function as(
      user: BusUser,
      attack: (jsm: JetStreamManager, nc: NatsConnection) => Promise<unknown>,
    ) {
      const nc = await connectAs(user);
      try {
        await attack(await jetstreamManager(nc, { checkAPI: false, timeout: 5000 }), nc);
        return "allowed";
      } catch (e) {
        if (isPermissionViolation(e)) return "refused";
        throw e;
      } finally {
        await nc.close();
      }
    }

    it("refuse the edge deleting, updating or purging the conversation stream, or deleting an event", async () => {
      const before = await adminJsm.streams.info(conv);
      expect(before.state.messages).toBeGreaterThan(0);
      expect(await as("edge", (jsm) => jsm.streams.delete(conv))).toBe("refused");
      expect(await as("edge", (jsm) => jsm.streams.update(conv, { max_age: 1_000_000_000 }))).toBe("refused");
      expect(await as("edge", (jsm) => jsm.streams.purge(conv))).toBe("refused");
      expect(await as("edge", (jsm) => jsm.streams.deleteMessage(conv, before.state.first_seq))).toBe(
        "refused",
      );
      const after = await adminJsm.streams.info(conv);
      expect(after.config.max_age).toBe(before.config.max_age);
      expect(after.state.first_seq).toBe(before.state.first_seq);
      expect(after.state.messages).toBeGreaterThanOrEqual(before.state.messages);
      expect((await adminJsm.streams.getMessage(conv, { seq: before.state.first_seq }))?.seq).toBe(
        before.state.first_seq,
      );
    });

    it("refuse the edge a stream that re-publishes onto a group's agent.replied (a forged answer)", async () => {
      const forge = `${ns}_FORGE`;
      const attempt = (jsm: JetStreamManager) =>
        jsm.streams.add({
          name: forge,
          subjects: [`${ns}.forge.>`],
          republish: { src: `${ns}.forge.>`, dest: n.convSubject(newEventId(), "agent.replied") },
        });
      expect(await as("edge", attempt)).toBe("refused");
      await expect(adminJsm.streams.info(forge)).rejects.toThrow();
    });

    it("refuse every app creating, updating or deleting a stream", async () => {
      for (const user of BUS_USERS) {
        expect(
          await as(user, (jsm) =>
            jsm.streams.add({ name: `${ns}_X_${user}`, subjects: [`${ns}.x.${user}`] }),
          ),
        ).toBe("refused");
        expect(await as(user, (jsm) => jsm.streams.update(conv, { max_msgs: 1 }))).toBe("refused");
        expect(await as(user, (jsm) => jsm.streams.delete(n.stream("work")))).toBe("refused");
        expect(await as(user, (jsm) => jsm.streams.deleteMessage(n.stream("work"), 1))).toBe("refused");
      }
    });

    it("refuse durable consumers to all, and the fanout and the edge any consumer but a group's ordered one", async () => {
      const before = await durables();
      const evil = { durable_name: "evil", ack_policy: AckPolicy.Explicit };
      for (const user of BUS_USERS) {
        expect(await as(user, (jsm) => jsm.consumers.add(conv, evil))).toBe("refused");
        expect(await as(user, (jsm) => jsm.consumers.add(n.stream("work"), evil))).toBe("refused");
      }
      // The fanout's and the edge's consumer rights (group feeds) stop at the durables: no hijack,
      // delete or pull of another app's.
      for (const user of ["fanout", "edge"] as const) {
        const groupFilter = n.groupFilter(newEventId());
        const hijack = {
          durable_name: CONSUMERS.orchestrator,
          ack_policy: AckPolicy.Explicit,
          filter_subject: groupFilter,
        };
        expect(await as(user, (jsm) => jsm.consumers.add(conv, hijack))).toBe("refused");
        expect(await as(user, (jsm) => jsm.consumers.delete(conv, CONSUMERS.recorder))).toBe("refused");
        expect(
          await as(user, (_jsm, nc) =>
            nc.request(
              `$JS.API.CONSUMER.MSG.NEXT.${conv}.${CONSUMERS.orchestrator}`,
              JSON.stringify({ batch: 1 }),
              {
                timeout: 5000,
              },
            ),
          ),
        ).toBe("refused");
        expect(
          await as(user, (jsm) =>
            jsm.consumers.add(conv, { name: "everything", ack_policy: AckPolicy.None }),
          ),
        ).toBe("refused");
        // Legacy create forms (no filter in the subject) are refused too.
        expect(
          await as(user, (_jsm, nc) =>
            nc.request(
              `$JS.API.CONSUMER.CREATE.${conv}`,
              JSON.stringify({
                stream_name: conv,
                config: { ack_policy: "none", filter_subject: groupFilter },
              }),
              { timeout: 5000 },
            ),
          ),
        ).toBe("refused");
      }
      expect(await durables()).toEqual(before);
      const orchestrator = await adminJsm.consumers.info(conv, CONSUMERS.orchestrator);
      expect(orchestrator.config.filter_subject).toBe(n.convFilter());
    });

    it("refuse any app reading `_INBOX.>` or another app's inbox prefix", async () => {
      for (const user of BUS_USERS) {
        const other = BUS_USERS.find((u) => u !== user) ?? "edge";
        for (const subject of ["_INBOX.>", `${busInboxPrefix(ns, other)}.>`]) {
          const nc = await connectAs(user);
          try {
            const sub = nc.subscribe(subject);
            // The server answers a refused subscription at once; allowed, it stays open.
            const open = new Promise<string>((r) => setTimeout(() => r("still subscribed"), 10_000).unref());
            expect(
              await Promise.race([sub.closed, open]),
              `${user} subscribing to ${subject}`,
            ).toBeInstanceOf(PermissionViolationError);
          } finally {
            await nc.close();
          }
        }
      }
      // An app connecting with the shared prefix gets no replies at all: it cannot even subscribe.
      const stray = await connectAs("edge", "_INBOX");
      try {
        const refused = await jetstreamManager(stray, { timeout: 3000 }).then(
          () => false,
          (e: unknown) => isPermissionViolation(e),
        );
        expect(refused).toBe(true);
      } finally {
        await stray.close();
      }
    });
  });
});
