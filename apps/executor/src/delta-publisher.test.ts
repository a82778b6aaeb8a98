import { names, type TokenDelta } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { createDeltaPublisher } from "./delta-publisher.js";

const n = names("t");
const delta = (groupId: string, index: number): TokenDelta => ({
  groupId,
  turnId: null,
  agentId: "a",
  workId: "w",
  index,
  text: `t${index}`,
});

describe("createDeltaPublisher", () => {
  it("holds the deltas of a loop turn and publishes them after it, in order, each on its group's subject", async () => {
    const sent: { subject: string; index: number }[] = [];
    const p = createDeltaPublisher(
      { publish: (subject, data) => void sent.push({ subject, index: JSON.parse(String(data)).index }) },
      n,
    );
    p.publish(delta("g1", 0));
    p.publish(delta("g2", 1));
    p.publish(delta("g1", 2));
    expect(sent).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([
      { subject: n.deltaSubject("g1"), index: 0 },
      { subject: n.deltaSubject("g2"), index: 1 },
      { subject: n.deltaSubject("g1"), index: 2 },
    ]);
  });

  it("flush sends what it holds at once, and nothing twice", async () => {
    const sent: number[] = [];
    const p = createDeltaPublisher(
      { publish: (_s, data) => void sent.push(JSON.parse(String(data)).index) },
      n,
    );
    p.publish(delta("g", 0));
    p.publish(delta("g", 1));
    p.flush();
    expect(sent).toEqual([0, 1]);
    p.publish(delta("g", 2));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([0, 1, 2]);
  });
});
