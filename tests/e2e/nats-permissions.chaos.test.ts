import { randomBytes } from "node:crypto";
import {
  BUS_USERS,
  type BusUser,
  connectBus,
  jetstream,
  natsAuthorizationConfig,
  publishEnvelope,
} from "@conclave/bus";
import { makeEnvelope, names, newEventId } from "@conclave/subjects";
import {
  type OwnNatsServer,
  quietLogger,
  startOwnNatsServer,
  startSystem,
  type TestSystem,
  uniqueNamespace,
} from "@conclave/testing";
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
  sys = await startSystem({ ns, natsUrl: nats.url, natsAuth: { admin, apps: passwords } });
});
afterAll(async () => {
  await sys?.stop();
  await nats?.dispose();
});

async function publishAs(
  user: BusUser,
  type: "agent.replied" | "turn.completed" | "message.posted",
  groupId: string,
) {
  const nc = await connectBus({
    url: nats.url,
    name: `forger-${user}`,
    user,
    password: passwords[user],
    log: quietLogger(),
  });
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
    await client.close();
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
});
