import { setTimeout as sleep } from "node:timers/promises";
import { names, type TokenDelta } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { createDeltaPublisher, type DeltaText } from "./delta-publisher.js";

const n = names("t");
const piece = (groupId: string, workId: string, text: string): DeltaText => ({
  groupId,
  turnId: null,
  agentId: "a",
  workId,
  text,
});
const nextLoopTurn = () => new Promise((r) => setImmediate(r));

function recorder() {
  const sent: (TokenDelta & { subject: string })[] = [];
  return {
    sent,
    nc: {
      publish: (subject: string, data?: unknown) => void sent.push({ subject, ...JSON.parse(String(data)) }),
    },
  };
}

describe("createDeltaPublisher", () => {
  it("sends what one call said in a loop turn as one delta after it, each call on its group's subject", async () => {
    const r = recorder();
    const p = createDeltaPublisher(r.nc, n, { windowMs: 20 });
    p.publish(piece("g1", "w1", "one"));
    p.publish(piece("g2", "w2", "uno"));
    p.publish(piece("g1", "w1", " two"));
    expect(r.sent).toEqual([]);
    await nextLoopTurn();
    expect(r.sent.map(({ subject, workId, index, text }) => ({ subject, workId, index, text }))).toEqual([
      { subject: n.deltaSubject("g1"), workId: "w1", index: 0, text: "one two" },
      { subject: n.deltaSubject("g2"), workId: "w2", index: 0, text: "uno" },
    ]);
    expect(r.sent[0]).toMatchObject({ groupId: "g1", turnId: null, agentId: "a" });
  });

  it("holds what comes within the window after a delta for the next tick, numbering the deltas as sent", async () => {
    const r = recorder();
    const p = createDeltaPublisher(r.nc, n, { windowMs: 200 });
    p.publish(piece("g", "w", "a"));
    await nextLoopTurn();
    p.publish(piece("g", "w", "b"));
    await nextLoopTurn();
    p.publish(piece("g", "w", "c"));
    await nextLoopTurn();
    // The first piece went out at once; the next two wait for the window.
    expect(r.sent.map((d) => [d.index, d.text])).toEqual([[0, "a"]]);
    await sleep(400);
    expect(r.sent.map((d) => [d.index, d.text])).toEqual([
      [0, "a"],
      [1, "bc"],
    ]);
    // Once the window has passed, a new piece goes out on the next loop turn again.
    await sleep(250);
    p.publish(piece("g", "w", "d"));
    await nextLoopTurn();
    expect(r.sent.map((d) => [d.index, d.text])).toEqual([
      [0, "a"],
      [1, "bc"],
      [2, "d"],
    ]);
  });

  it("end sends what the call holds at once, nothing twice, and a new call of the same work starts at 0", async () => {
    const r = recorder();
    const p = createDeltaPublisher(r.nc, n, { windowMs: 1000 });
    p.publish(piece("g", "w", "a"));
    await nextLoopTurn();
    p.publish(piece("g", "w", "b"));
    p.publish(piece("g", "other", "x"));
    p.end("w");
    expect(r.sent.map((d) => [d.workId, d.index, d.text])).toEqual([
      ["w", 0, "a"],
      ["w", 1, "b"],
    ]);
    await nextLoopTurn();
    expect(r.sent.map((d) => [d.workId, d.index, d.text])).toEqual([
      ["w", 0, "a"],
      ["w", 1, "b"],
      ["other", 0, "x"],
    ]);
    // A redelivered item runs the call again: its deltas are numbered afresh.
    p.publish(piece("g", "w", "again"));
    p.end("w");
    expect(r.sent.at(-1)).toMatchObject({ workId: "w", index: 0, text: "again" });
    p.end("w");
    expect(r.sent).toHaveLength(4);
  });

  it("with no window, sends each loop turn's text at the end of that turn", async () => {
    const r = recorder();
    const p = createDeltaPublisher(r.nc, n, { windowMs: 0 });
    p.publish(piece("g", "w", "a"));
    await nextLoopTurn();
    p.publish(piece("g", "w", "b"));
    await nextLoopTurn();
    expect(r.sent.map((d) => [d.index, d.text])).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
  });

  it("loses a delta the connection refuses, and never throws (a timer or a call's end sends it)", async () => {
    let refuse = true;
    const sent: string[] = [];
    const p = createDeltaPublisher(
      {
        publish: (_s: string, data?: unknown) => {
          if (refuse) throw new Error("connection draining");
          sent.push(JSON.parse(String(data)).text);
        },
      },
      n,
      { windowMs: 0 },
    );
    p.publish(piece("g", "w", "lost"));
    expect(() => p.end("w")).not.toThrow();
    refuse = false;
    p.publish(piece("g", "w2", "kept"));
    await nextLoopTurn();
    expect(sent).toEqual(["kept"]);
  });
});
