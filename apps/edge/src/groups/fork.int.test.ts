import { jetstream, Kvm, publishEnvelope } from "@conclave/bus";
import { events } from "@conclave/db";
import {
  type AnyConvEnvelope,
  type Envelope,
  MemoryRecord,
  makeEnvelope,
  newEventId,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import { readGroupEvents } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";
import { copyEvent, createSeqMap } from "./fork-copy.js";
import { forkIdOf } from "./fork-group.js";

// The edge alone on the shared NATS and PostgreSQL, over a history written straight into the read
// model: a fork interrupted after some of its copies is finished by the retry with no copy twice,
// concurrent retries make one fork, and a turn the cut left open ends in the fork.
let edge: TestEdge;
let owner: TestEdgeUser;
let groupId = "";
let agentId = "";
const history: { seq: number; event: AnyConvEnvelope }[] = [];

beforeAll(async () => {
  edge = await startTestEdge();
  owner = await edge.register();
  const created = await edge.request("POST", "/v1/groups", {
    token: owner.token,
    body: { name: "recorded", agents: [{ name: "Ada" }] },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  groupId = created.body.id as string;
  agentId = (created.body.agents as { id: string }[])[0]?.id as string;
  const actor = { kind: "user" as const, id: owner.accountId };
  const at = "2026-12-07T01:00:00.000Z";
  const e = <T extends AnyConvEnvelope["type"]>(type: T, turnId: string, payload: Envelope<T>["payload"]) =>
    makeEnvelope({
      id: newEventId(),
      type,
      groupId,
      turnId,
      causationId: null,
      actor: SYSTEM_ACTOR,
      payload,
      at,
    });
  // Two turns, the second cut open by the fork's seq (seqs with gaps, as other groups' events leave).
  for (const [i, open] of [
    [0, false],
    [1, true],
  ] as const) {
    const turnId = newEventId();
    const messageId = newEventId();
    const posted = makeEnvelope({
      id: turnId,
      type: "message.posted",
      groupId,
      turnId,
      causationId: null,
      actor,
      payload: { messageId, content: `message ${i}` },
      at,
    });
    const reply = e("agent.replied", turnId, {
      agentId,
      agentName: "Ada",
      content: `answer ${i}`,
      provider: "scripted",
      model: "scripted",
      latencyMs: 1,
      purpose: "reply",
    });
    const turn: AnyConvEnvelope[] = [
      posted,
      e("turn.started", turnId, {
        messageId,
        messageSeq: 10 * i + 3,
        strategy: "broadcast",
        agentIds: [agentId],
        deadline: at,
      }),
      reply,
      ...(open ? [] : [e("turn.completed", turnId, { messageId, replyIds: [reply.id], durationMs: 5 })]),
    ];
    turn.forEach((event, j) => {
      history.push({ seq: 10 * i + 3 + 2 * j, event });
    });
  }
  await edge.db.db.insert(events).values(
    history.map(({ seq, event: ev }) => ({
      id: ev.id,
      seq,
      groupId,
      turnId: ev.turnId,
      causationId: ev.causationId,
      type: ev.type,
      v: ev.v,
      actor: ev.actor,
      payload: ev.payload,
      at: ev.at,
    })),
  );
});
afterAll(async () => {
  await edge?.stop();
});

const fork = (key: string, fromSeq: number) =>
  edge.request("POST", `/v1/groups/${groupId}/fork`, {
    token: owner.token,
    headers: { "idempotency-key": key },
    body: { fromSeq },
  });

describe("forking a recorded history", () => {
  it("finishes a fork interrupted after some copies, sending none twice, and ends the turn the cut left open", async () => {
    const key = "interrupted";
    const forkId = forkIdOf(groupId, owner.accountId, key);
    const fromSeq = history.at(-1)?.seq as number;
    // The attempt that died: its first three copies went out, nothing else.
    const rows = await edge.db.db.select().from(events);
    const mine = rows.filter((r) => r.groupId === groupId).sort((a, b) => a.seq - b.seq);
    const known = new Set(
      mine.flatMap((r) => [r.id, r.turnId ?? r.id, (r.payload as { messageId?: string }).messageId ?? r.id]),
    );
    const seqs = createSeqMap();
    for (const r of mine.slice(0, 3)) {
      const copy = copyEvent(r, { forkId, known, seqs });
      seqs.set(r.seq, (await publishEnvelope(jetstream(edge.bus.nc), edge.bus.names, copy)).seq);
    }
    expect((await edge.request("GET", `/v1/groups/${forkId}`, { token: owner.token })).status).toBe(404);

    const res = await fork(key, fromSeq);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.id).toBe(forkId);
    const onStream = await readGroupEvents(edge.bus, forkId);
    const copies = onStream.filter((x) => x.forkedFrom);
    expect(copies.map((c) => c.forkedFrom?.eventId)).toEqual(history.map((h) => h.event.id));
    expect(new Set(onStream.map((x) => x.id)).size).toBe(onStream.length);
    // The open turn ends, failed, after the copies; the ended one's answers are the fork's memory.
    const ending = onStream.at(-1) as Envelope<"turn.failed">;
    expect(ending).toMatchObject({
      type: "turn.failed",
      turnId: copies.at(-1)?.turnId,
      payload: { reason: "cancelled" },
    });
    expect(ending.forkedFrom).toBeUndefined();
    const started = copies.find((c) => c.type === "turn.started" && c.turnId === copies[0]?.turnId);
    expect((started as Envelope<"turn.started">).payload.messageSeq).toBe(copies[0]?.seq);
    const memory = await new Kvm(edge.bus.nc).open(edge.bus.names.bucket("memory"));
    const record = MemoryRecord.parse((await memory.get(forkId))?.json());
    expect(record.entries.map((x) => x.content)).toEqual(["message 0", "answer 0"]);

    // A later retry answers the fork as it is and sends nothing.
    const again = await fork(key, fromSeq);
    expect(again.status).toBe(200);
    expect(await readGroupEvents(edge.bus, forkId)).toHaveLength(onStream.length);
  });

  it("refuses a key whose interrupted attempt copied further than asked (422), and makes nothing", async () => {
    const key = "copied-further";
    const forkId = forkIdOf(groupId, owner.accountId, key);
    const row = (await edge.db.db.select().from(events)).find((r) => r.id === history[3]?.event.id);
    if (!row) throw new Error("no recorded row");
    const copy = copyEvent(row, { forkId, known: new Set([row.id]), seqs: createSeqMap() });
    await publishEnvelope(jetstream(edge.bus.nc), edge.bus.names, copy);
    const res = await fork(key, history[1]?.seq as number);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.errors).toEqual([{ path: "header.idempotency-key", message: expect.any(String) }]);
    expect(await readGroupEvents(edge.bus, forkId)).toHaveLength(1);
    expect((await edge.request("GET", `/v1/groups/${forkId}`, { token: owner.token })).status).toBe(404);
  });

  it("makes one fork of concurrent requests with the same key", async () => {
    const key = "concurrent";
    const fromSeq = history[3]?.seq as number;
    const answers = await Promise.all([fork(key, fromSeq), fork(key, fromSeq), fork(key, fromSeq)]);
    for (const a of answers) expect([200, 201], JSON.stringify(a.body)).toContain(a.status);
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const forkId = [...ids][0] as string;
    const onStream = await readGroupEvents(edge.bus, forkId);
    expect(onStream.map((x) => x.forkedFrom?.seq)).toEqual(history.slice(0, 4).map((h) => h.seq));
    const list = await edge.request("GET", "/v1/groups", { token: owner.token });
    expect((list.body.items as { id: string }[]).filter((g) => g.id === forkId)).toHaveLength(1);
  });
});
