import { jetstream, publishEnvelope } from "@conclave/bus";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import { startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let sql: postgres.Sql;

beforeAll(async () => {
  // A short ack wait, so a crashed worker's messages come back within the test.
  sys = await startSystem({ env: { NATS_ACK_WAIT_MS: "1500" } });
  sql = postgres(sys.db.url, { max: 2 });
});
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
});

async function createGroup(agentNames: string[]) {
  const res = await sys.post("/v1/groups", { name: "dups", agents: agentNames.map((name) => ({ name })) });
  return (res.body as { id: string }).id;
}

async function countsByType(groupId: string) {
  const rows = await sql<
    { type: string; n: number }[]
  >`select type, count(*)::int as n from events where group_id = ${groupId} group by type`;
  return Object.fromEntries(rows.map((r) => [r.type, r.n]));
}

/**
 * Every event of the group as stored in the stream, read by a fresh subscriber from the start. The
 * wait covers three kills, each app's restart and the redelivery after its ack wait, one after another.
 */
async function streamEvents(groupId: string, until: (types: string[]) => boolean) {
  const client = await sys.openStream();
  await client.subscribe(groupId, 0);
  await client.waitFor(
    "the stream to be read",
    () => until(client.events(groupId).map((f) => f.event?.type ?? "")),
    90_000,
  );
  await new Promise((r) => setTimeout(r, 300));
  const events = client.events(groupId);
  await client.close();
  return events;
}

describe("no duplicates", () => {
  it("deduplicates a re-published event in the stream and in PostgreSQL", async () => {
    const groupId = await createGroup(["Solo"]);
    const js = jetstream(sys.bus.nc);
    const id = newEventId();
    const event = makeEnvelope({
      id,
      type: "message.posted",
      groupId,
      turnId: newEventId(),
      causationId: null,
      actor: { kind: "user", id: "test" },
      payload: { messageId: id, content: "twice" },
    });
    const first = await publishEnvelope(js, sys.bus.names, event);
    const second = await publishEnvelope(js, sys.bus.names, event);
    expect(first.duplicate).toBe(false);
    expect(second).toMatchObject({ duplicate: true, seq: first.seq });

    // Past JetStream's window (a different Nats-Msg-Id), the recorder and orchestrator still dedupe.
    await js.publish(sys.bus.names.convSubject(groupId, "message.posted"), JSON.stringify(event), {
      msgID: `${id}-again`,
    });
    const events = await streamEvents(groupId, (t) => t.includes("turn.completed"));
    expect(events.filter((f) => f.event?.type === "message.posted")).toHaveLength(2);
    await waitUntil(
      "the turn to be recorded",
      async () => (await countsByType(groupId))["turn.completed"] === 1,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await countsByType(groupId)).toEqual({
      "message.posted": 1,
      "turn.started": 1,
      "agent.replied": 1,
      "turn.completed": 1,
    });
    const [messages] = await sql<
      { n: number }[]
    >`select count(*)::int as n from messages where group_id = ${groupId}`;
    expect(messages?.n).toBe(2);

    // The copy did not hold the group: the next message's turn runs at once.
    const next = await sys.post(`/v1/groups/${groupId}/messages`, { content: "after the copy" });
    const { turnId } = next.body as { turnId: string };
    await waitUntil(
      "the next turn to complete",
      async () => (await sys.get(`/v1/groups/${groupId}/turns/${turnId}`)).body.status === "completed",
      10_000,
    );
  });

  it("survives workers killed after their side effect and before their ack", async () => {
    // Crash each worker right after its first side effect (the recorder after its third commit).
    for (const app of ["orchestrator", "executor", "recorder"] as const) {
      await sys.app(app).stop();
      sys.app(app).restart({ FAULT_CRASH_BEFORE_ACK: app === "recorder" ? "3" : "1" });
      await sys.app(app).waitForLog(`${app} started`);
    }
    const groupId = await createGroup(["Ada", "Grace"]);
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "crash-safe?" });
    expect(posted.status).toBe(202);

    for (const app of ["orchestrator", "executor", "recorder"] as const) {
      expect(await sys.app(app).waitForExit(30_000), `${app} killed itself`).toBe(-1);
      sys.app(app).restart({ FAULT_CRASH_BEFORE_ACK: undefined });
    }
    const events = await streamEvents(groupId, (t) => t.includes("turn.completed"));
    expect(events.map((f) => f.event?.type).sort()).toEqual([
      "agent.replied",
      "agent.replied",
      "message.posted",
      "turn.completed",
      "turn.started",
    ]);
    expect(new Set(events.map((f) => f.event?.id)).size).toBe(5);

    await waitUntil(
      "every event to be recorded",
      async () => Object.values(await countsByType(groupId)).reduce((a, b) => a + b, 0) === 5,
      30_000,
    );
    expect(await countsByType(groupId)).toEqual({
      "message.posted": 1,
      "turn.started": 1,
      "agent.replied": 2,
      "turn.completed": 1,
    });
    const [turn] = await sql<{ status: string }[]>`select status from turns where group_id = ${groupId}`;
    expect(turn?.status).toBe("completed");
    // The restarted workers saw redeliveries of what the killed ones had done, and changed nothing.
    await waitUntil(
      "the recorder to skip a redelivered event",
      () => sys.app("recorder").lines.some((l) => l.includes("already recorded")),
      10_000,
    );
  }, 180_000);
});
