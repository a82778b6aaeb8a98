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
