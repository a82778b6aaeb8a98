import { describe, expect, it } from "vitest";
import { makeEnvelope, parseEnvelope } from "./catalog.js";
import { SYSTEM_ACTOR } from "./common.js";
import { deriveEventId, newEventId } from "./ids.js";
import { names } from "./names.js";

const groupId = newEventId();

describe("envelope", () => {
  it("round-trips a valid event through JSON", () => {
    const e = makeEnvelope({
      id: newEventId(),
      type: "message.posted",
      groupId,
      turnId: newEventId(),
      causationId: null,
      actor: { kind: "user", id: "u1" },
      payload: { messageId: newEventId(), content: "hi" },
    });
    const parsed = parseEnvelope(JSON.parse(JSON.stringify(e)));
    expect(parsed).toEqual({ ok: true, envelope: e });
  });

  it("keeps a copy's origin, and parses events that have none as before", () => {
    const base = {
      id: newEventId(),
      type: "message.posted" as const,
      groupId,
      turnId: null,
      causationId: null,
      actor: SYSTEM_ACTOR,
      payload: { messageId: newEventId(), content: "hi" },
    };
    const origin = { groupId: newEventId(), seq: 7, eventId: newEventId() };
    const copy = makeEnvelope({ ...base, forkedFrom: origin });
    expect(parseEnvelope(JSON.parse(JSON.stringify(copy)))).toEqual({ ok: true, envelope: copy });
    const plain = parseEnvelope(JSON.parse(JSON.stringify(makeEnvelope(base))));
    expect(plain.ok && "forkedFrom" in plain.envelope).toBe(false);
    const bad = parseEnvelope({ ...copy, forkedFrom: { ...origin, seq: 0 } });
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(["forkedFrom.seq"]);
  });

  it("names the failing payload paths", () => {
    const parsed = parseEnvelope({
      id: newEventId(),
      type: "message.posted",
      v: 1,
      groupId,
      turnId: null,
      causationId: null,
      at: new Date().toISOString(),
      actor: SYSTEM_ACTOR,
      payload: { messageId: "nope", content: 3 },
    });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.issues.map((i) => i.path).sort()).toEqual(["payload.content", "payload.messageId"]);
  });

  it("rejects an unknown type and an unknown version", () => {
    const base = {
      id: newEventId(),
      v: 1,
      groupId,
      turnId: null,
      causationId: null,
      at: new Date().toISOString(),
      actor: SYSTEM_ACTOR,
      payload: {},
    };
    expect(parseEnvelope({ ...base, type: "nope" }).ok).toBe(false);
    expect(parseEnvelope({ ...base, type: "turn.completed", v: 9 }).ok).toBe(false);
  });
});

describe("ids", () => {
  it("derives the same id from the same inputs, and a different one from others", () => {
    const parent = newEventId();
    const a = deriveEventId(parent, "turn.completed");
    expect(deriveEventId(parent, "turn.completed")).toBe(a);
    expect(deriveEventId(parent, "turn.failed")).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.slice(0, 13)).toBe(parent.slice(0, 13));
  });
});

describe("names", () => {
  it("prefixes every name with the namespace", () => {
    const n = names("prod");
    expect(n.stream("conv")).toBe("prod_CONV");
    expect(n.convSubject(groupId, "agent.replied")).toBe(`prod.conv.${groupId}.agent.replied`);
    expect(n.workSubject("llm")).toBe("prod.work.llm");
  });
  it("reads the event type back from a conversation subject, and nothing from another", () => {
    const n = names("prod");
    expect(n.convTypeOf(n.convSubject(groupId, "agent.replied"))).toBe("agent.replied");
    expect(n.convTypeOf(n.workSubject("llm"))).toBeNull();
    expect(n.convTypeOf("prod.conv.g1")).toBeNull();
    expect(names("prodx").convTypeOf(n.convSubject(groupId, "turn.started"))).toBeNull();
  });
  it("refuses a namespace that would break subjects", () => {
    expect(() => names("a.b")).toThrow();
    expect(() => names("a*")).toThrow();
    expect(() => names("")).toThrow();
  });
});
