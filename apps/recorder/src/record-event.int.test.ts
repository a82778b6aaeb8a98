import { type DbHandle, eq, events, messages, turns } from "@conclave/db";
import {
  type AnyConvEnvelope,
  deriveEventId,
  makeEnvelope,
  newEventId,
  SYSTEM_ACTOR,
} from "@conclave/subjects";
import { type BothDatabases, openBothDatabases } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvent } from "./record-event.js";

let both: BothDatabases;
const handles: Record<string, DbHandle> = {};

beforeAll(async () => {
  both = await openBothDatabases();
  Object.assign(handles, both.handles);
});
afterAll(async () => {
  await both?.close();
});

function turnEvents() {
  const groupId = newEventId();
  const turnId = newEventId();
  const messageId = newEventId();
  const base = { groupId, turnId, actor: SYSTEM_ACTOR };
  const posted = makeEnvelope({
    ...base,
    id: messageId,
    type: "message.posted",
    causationId: null,
    actor: { kind: "user", id: "u", name: "Lin" },
    payload: { messageId, content: "hi" },
  });
  const started = makeEnvelope({
    ...base,
    id: deriveEventId(turnId, "s"),
    type: "turn.started",
    causationId: messageId,
    payload: {
      messageId,
      messageSeq: 1,
      strategy: "broadcast",
      agentIds: [],
      deadline: new Date().toISOString(),
    },
  });
  const completed = makeEnvelope({
    ...base,
    id: deriveEventId(turnId, "e"),
    type: "turn.completed",
    causationId: messageId,
    payload: { messageId, replyIds: [], durationMs: 3 },
  });
  return { groupId, turnId, posted, started, completed };
}

describe.each(["postgres", "pglite"])("recordEvent on %s", (kind) => {
  const db = () => (handles[kind] as DbHandle).db;

  it("records an event once, however often it is delivered", async () => {
    const t = turnEvents();
    expect(await recordEvent(db(), t.posted as AnyConvEnvelope, 1)).toBe(true);
    expect(await recordEvent(db(), t.posted as AnyConvEnvelope, 1)).toBe(false);
    expect(await recordEvent(db(), t.posted as AnyConvEnvelope, 9)).toBe(false);
    expect(await db().select().from(events).where(eq(events.groupId, t.groupId))).toHaveLength(1);
    expect(await db().select().from(messages).where(eq(messages.groupId, t.groupId))).toHaveLength(1);
  });

  it("never moves an ended turn back to running when events arrive out of order", async () => {
    const t = turnEvents();
    await recordEvent(db(), t.posted as AnyConvEnvelope, 1);
    await recordEvent(db(), t.completed as AnyConvEnvelope, 3);
    await recordEvent(db(), t.started as AnyConvEnvelope, 2);
    const [turn] = await db().select().from(turns).where(eq(turns.id, t.turnId));
    expect(turn?.status).toBe("completed");
    expect(turn?.startedAt).not.toBeNull();
    expect(turn?.endedAt).not.toBeNull();
  });

  it("rolls the whole event back when a projection fails", async () => {
    const t = turnEvents();
    // A message row already holds this id, so the projection's insert fails after the event's.
    await db().insert(messages).values({
      id: t.posted.id,
      groupId: t.groupId,
      turnId: null,
      seq: 0,
      type: "x",
      authorKind: "user",
      authorId: "x",
      content: "x",
      at: new Date().toISOString(),
    });
    await expect(recordEvent(db(), t.posted as AnyConvEnvelope, 1)).rejects.toThrow();
    expect(await db().select().from(events).where(eq(events.groupId, t.groupId))).toHaveLength(0);
  });
});
