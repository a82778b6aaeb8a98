import { type Actor, type ConvEventType, makeEnvelope, newEventId, type PayloadOf } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { createDirectory } from "../directory.js";
import type { Frame } from "../follow.js";
import { createStyle, stripAnsi } from "../term/style.js";
import { createChatRenderer } from "./chat.js";

const groupId = newEventId();
const turnId = newEventId();
const ada = newEventId();
const bob = newEventId();
const person = newEventId();
const SYSTEM: Actor = { kind: "system", id: "conclave" };

let seq = 0;
function event<T extends ConvEventType>(
  type: T,
  payload: PayloadOf<T>,
  opts: { actor?: Actor; causationId?: string } = {},
): Frame {
  const e = makeEnvelope({
    id: newEventId(),
    type,
    groupId,
    turnId,
    causationId: opts.causationId ?? null,
    actor: opts.actor ?? SYSTEM,
    payload,
  });
  return { type: "event", groupId, seq: ++seq, event: JSON.parse(JSON.stringify(e)) };
}

const delta = (workId: string, agentId: string, index: number, text: string): Frame => ({
  type: "delta",
  groupId,
  turnId,
  agentId,
  workId,
  index,
  text,
});

const replied = (workId: string, agentId: string, agentName: string, content: string, purpose?: "ballot") =>
  event(
    "agent.replied",
    {
      agentId,
      agentName,
      content,
      provider: "scripted",
      model: "scripted",
      latencyMs: 12,
      usage: { inputTokens: 30, outputTokens: 4, cachedTokens: 0 },
      ...(purpose ? { purpose } : {}),
    },
    { actor: { kind: "agent", id: agentId, name: agentName }, causationId: workId },
  );

/** Everything the renderer wrote for these frames, as one string (what the terminal shows). */
function render(frames: Frame[], options: { colour?: boolean } = {}): string {
  const chat = createChatRenderer({
    style: createStyle(options.colour ?? false),
    directory: createDirectory({ agents: [[bob, "Bob"]], people: [[person, "lin@example.com"]] }),
  });
  return frames.map((f) => chat.frame(f)).join("") + chat.end();
}

describe("the watch chat renderer", () => {
  it("grows an answer on its speaker's line as deltas arrive, and ends it when the reply is in", () => {
    const w = newEventId();
    const chat = createChatRenderer({
      style: createStyle(false),
      directory: createDirectory({ agents: [[ada, "Ada"]] }),
    });
    const posted = event(
      "message.posted",
      { messageId: newEventId(), content: "hello" },
      { actor: { kind: "user", id: person, name: "Lin" } },
    );
    expect(chat.frame(posted)).toBe("Lin: hello\n");
    expect(chat.frame(delta(w, ada, 0, "Hello"))).toBe("Ada: Hello");
    expect(chat.frame(delta(w, ada, 1, " there,"))).toBe(" there,");
    expect(chat.frame(delta(w, ada, 2, " Lin"))).toBe(" Lin");
    expect(chat.frame({ type: "heartbeat", at: new Date().toISOString() })).toBe("");
    expect(chat.frame(replied(w, ada, "Ada", "Hello there, Lin"))).toBe("  (30→4 tokens, 12 ms)\n");
    // A late delta of an answer already in is dropped.
    expect(chat.frame(delta(w, ada, 3, " again"))).toBe("");
    expect(chat.end()).toBe("");
  });

  it("keeps two agents streaming at once apart, and writes an interrupted answer whole", () => {
    const [wa, wb] = [newEventId(), newEventId()];
    const out = render([
      delta(wa, ada, 0, "I"),
      delta(wa, ada, 1, " think"),
      delta(wb, bob, 0, "No"),
      delta(wa, ada, 2, " yes"),
      replied(wa, ada, "Ada", "I think yes"),
      delta(wb, bob, 1, " way"),
      replied(wb, bob, "Bob", "No way"),
    ]);
    expect(out.split("\n")).toEqual([
      // Ada is not in the directory yet: her deltas carry only her id, until her reply names her.
      `agent ${ada.slice(-8)}: I think`,
      "Bob: No",
      `agent ${ada.slice(-8)}: …  yes`,
      "Ada: I think yes  (30→4 tokens, 12 ms)",
      "Bob: …  way",
      "Bob: No way  (30→4 tokens, 12 ms)",
      "",
    ]);
  });

  it("names people and agents, shows the rest of the turn as dim lines, and a reply that never streamed", () => {
    const voteId = newEventId();
    const w = newEventId();
    const out = render([
      { type: "subscribed", groupId, afterSeq: 0 },
      event(
        "message.posted",
        { messageId: newEventId(), content: "vote please" },
        { actor: { kind: "user", id: person } },
      ),
      event("speaker.selected", {
        agentId: bob,
        agentName: "Bob",
        strategy: "round_robin",
        rule: "seat_order",
        reason: "round 1, seat 1",
        round: 1,
        askId: "a",
      }),
      delta(w, bob, 0, '{"choice":'),
      event(
        "vote.cast",
        { voteId, agentId: bob, agentName: "Bob", choice: "Ada", confidence: 0.8, rationale: "clear" },
        { causationId: newEventId() },
      ),
      replied(w, bob, "Bob", '{"choice":"Ada"}', "ballot"),
      replied(newEventId(), ada, "Ada", "Done."),
      event("turn.failed", {
        messageId: newEventId(),
        reason: "timeout",
        detail: "too slow",
        replyIds: [],
        durationMs: 5,
      }),
      { type: "error", groupId, code: "not_found", message: `no group ${groupId}` },
    ]);
    expect(out.split("\n")).toEqual([
      `following group ${groupId} after seq 0`,
      "lin@example.com: vote please",
      "· speaker.selected · conclave: → Bob · rule seat_order · round 1 · round 1, seat 1",
      'Bob: {"choice":',
      "· vote.cast · Bob: votes Ada (confidence 80%)",
      "    clear",
      'Bob: {"choice":"Ada"}  (ballot, 30→4 tokens, 12 ms)',
      "Ada: Done.  (30→4 tokens, 12 ms)",
      "· turn.failed · conclave: failed: timeout · too slow · 5 ms",
      `error not_found: no group ${groupId}`,
      "",
    ]);
  });

  it("colours on request only, and closes a line left open", () => {
    const w = newEventId();
    const coloured = render([delta(w, bob, 0, "half")], { colour: true });
    expect(coloured).toContain("\u001b[");
    expect(stripAnsi(coloured)).toBe("Bob: half\n");
    expect(render([delta(w, bob, 0, "half")])).toBe("Bob: half\n");
  });
});
