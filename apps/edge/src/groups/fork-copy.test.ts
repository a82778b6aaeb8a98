import { newEventId, SYSTEM_ACTOR } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { copyEvent, copyId, createSeqMap } from "./fork-copy.js";

describe("createSeqMap", () => {
  it("maps a copied seq exactly and any other to the latest copy before it", () => {
    const seqs = createSeqMap();
    seqs.set(3, 100);
    seqs.set(7, 104);
    expect([seqs.at(0), seqs.at(2), seqs.at(3), seqs.at(5), seqs.at(7), seqs.at(50)]).toEqual([
      0, 0, 100, 100, 104, 104,
    ]);
  });
});

describe("copyEvent", () => {
  it("moves the history's ids and seqs to the fork's, keeps agents' and outside ids, and names the origin", () => {
    const [groupId, forkId, turnId, messageEvent, messageId, workId, agentId] = Array.from(
      { length: 7 },
      () => newEventId(),
    );
    const seqs = createSeqMap();
    seqs.set(10, 210);
    const row = {
      id: newEventId(),
      seq: 12,
      groupId,
      turnId,
      causationId: workId,
      type: "turn.started",
      v: 1,
      actor: SYSTEM_ACTOR,
      payload: {
        messageId,
        messageSeq: 10,
        strategy: "broadcast",
        agentIds: [agentId],
        deadline: "2026-12-07T01:00:00.000Z",
        memory: { summaryId: null, resetSeq: 0, fromSeq: 10, toSeq: 11, entries: 2, blocks: [] },
      },
      at: "2026-12-07 01:00:00.123+00",
      forkedFrom: null,
      recordedAt: new Date(),
    } as Parameters<typeof copyEvent>[0];
    const known = new Set([row.id, turnId as string, messageEvent as string, messageId as string]);
    const copy = copyEvent(row, { forkId: forkId as string, known, seqs });
    expect(copy).toMatchObject({
      id: copyId(forkId as string, row.id),
      groupId: forkId,
      turnId: copyId(forkId as string, turnId as string),
      causationId: workId,
      at: "2026-12-07T01:00:00.123Z",
      forkedFrom: { groupId, seq: 12, eventId: row.id },
      payload: {
        messageId: copyId(forkId as string, messageId as string),
        messageSeq: 210,
        agentIds: [agentId],
        memory: { resetSeq: 0, fromSeq: 210, toSeq: 210 },
      },
    });
    // The same inputs give the same copy (a retried fork publishes the same ids).
    expect(copyEvent(row, { forkId: forkId as string, known, seqs })).toEqual(copy);
  });
});
