import { DLQ_HEADERS, jetstream, jetstreamManager, provision, publishEnvelope } from "@conclave/bus";
import { type DbHandle, groups, openDb } from "@conclave/db";
import type { Service } from "@conclave/runtime";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import { openTestBus, quietLogger, type TestBus, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrchestrator, loadConfig } from "./app.js";

let bus: TestBus;
let db: DbHandle;
let orchestrator: Service;

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names, { ackWaitMs: 2000 });
  db = await openDb({});
  await db.migrate();
  orchestrator = createOrchestrator({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns, NATS_ACK_WAIT_MS: "2000" }),
    nc: bus.nc,
    db: db.db,
    log: quietLogger(),
  });
  await orchestrator.start();
});
afterAll(async () => {
  await orchestrator?.stop();
  await db?.close();
  await bus?.dispose();
});

const post = (groupId: string, content: string) => {
  const id = newEventId();
  const turnId = newEventId();
  return publishEnvelope(
    jetstream(bus.nc),
    bus.names,
    makeEnvelope({
      id,
      type: "message.posted",
      groupId,
      turnId,
      causationId: null,
      actor: { kind: "user", id: "u" },
      payload: { messageId: id, content },
    }),
  ).then(() => turnId);
};

/** The type of the event that ended `turnId`, once it is in the stream. */
async function outcome(groupId: string, turnId: string) {
  const jsm = await jetstreamManager(bus.nc);
  const stream = bus.names.stream("conv");
  for (const type of ["turn.completed", "turn.failed"]) {
    const m = await jsm.streams
      .getMessage(stream, { last_by_subj: bus.names.convSubject(groupId, type) })
      .catch(() => null);
    if (m && (m.json() as { turnId: string }).turnId === turnId) return type;
  }
  return undefined;
}

describe("a poison message on a group's queue", () => {
  it("is passed over and dead-lettered once: the group's later messages still get their turns", async () => {
    const groupId = newEventId();
    await db.db.insert(groups).values({ id: groupId, name: "g" });
    const subject = bus.names.convSubject(groupId, "message.posted");
    const js = jetstream(bus.nc);
    const forgedId = newEventId();
    const forged = makeEnvelope({
      id: forgedId,
      type: "agent.failed",
      groupId,
      turnId: newEventId(),
      causationId: null,
      actor: { kind: "agent", id: "a" },
      payload: { agentId: newEventId(), agentName: "Ada", error: "forged" },
    });
    // Not JSON, an invalid envelope, and a valid envelope of another type, all on the queue subject.
    const poison = [
      (await js.publish(subject, "not json {")).seq,
      (await js.publish(subject, JSON.stringify({ id: "x", type: "message.posted" }))).seq,
      (await js.publish(subject, JSON.stringify(forged), { msgID: forgedId })).seq,
    ];
    const turnId = await post(groupId, "after the poison");
    const ended = await waitUntil("the turn after the poison to end", () => outcome(groupId, turnId), 20_000);
    expect(["turn.completed", "turn.failed"]).toContain(ended);

    const jsm = await jetstreamManager(bus.nc);
    await waitUntil(
      "the orchestrator to settle everything",
      async () => (await jsm.consumers.info(bus.names.stream("conv"), "orchestrator")).num_ack_pending === 0,
      20_000,
    );
    // Past ack_wait, a terminated message would have come back (as `+TERM <reason>` did on 2.9).
    await new Promise((r) => setTimeout(r, 2500));
    const info = await jsm.consumers.info(bus.names.stream("conv"), "orchestrator");
    expect(info.num_redelivered).toBe(0);
    const dlq = bus.names.stream("dlq");
    const letters: { seq: number; reason: string }[] = [];
    const state = (await jsm.streams.info(dlq)).state;
    for (let s = state.first_seq; state.messages > 0 && s <= state.last_seq; s++) {
      const m = await jsm.streams.getMessage(dlq, { seq: s });
      if (m)
        letters.push({
          seq: Number(m.header.get(DLQ_HEADERS.seq)),
          reason: m.header.get(DLQ_HEADERS.reason),
        });
    }
    expect(letters.map((l) => l.seq)).toEqual(poison);
    expect(letters[0]?.reason).toBe("body is not JSON");
    expect(letters[1]?.reason).toMatch(/^schema: /);
    expect(letters[2]?.reason).toMatch(/^subject: a agent\.failed .* belongs on .*agent\.failed/);

    // And the next one runs at once.
    const next = await post(groupId, "and the next");
    await waitUntil("the next turn to end", () => outcome(groupId, next), 20_000);
  });
});
