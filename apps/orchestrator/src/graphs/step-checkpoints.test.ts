import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { describe, expect, it } from "vitest";
import { StepCheckpointSaver, StoredCheckpoint } from "./step-checkpoints.js";

/** Puts a checkpoint with these channel values in one step and reads it back in the next, through JSON. */
async function roundTrip(values: Record<string, unknown>) {
  const saver = new StepCheckpointSaver();
  const config = { configurable: { thread_id: "t" } };
  saver.begin("t", null);
  const checkpoint = { ...emptyCheckpoint(), channel_values: values };
  await saver.put(config, checkpoint, { source: "loop", step: 1, parents: {} }, {});
  const stored = saver.end("t");
  if (!stored) throw new Error("nothing stored");
  saver.begin("t", StoredCheckpoint.parse(JSON.parse(JSON.stringify(stored))));
  const tuple = await saver.getTuple(config);
  saver.end("t");
  return tuple?.checkpoint.channel_values;
}

describe("checkpoints kept in the group state", () => {
  it("read back plain values as they were put", async () => {
    const values = {
      spec: { turnId: "x", speakers: [{ id: "a", name: "A", seat: 0 }] },
      round: 2,
      note: 'say "hi"',
    };
    expect(await roundTrip(values)).toEqual(values);
  });

  it("read back what plain JSON cannot hold (a Set, an undefined value) through LangGraph's serializer", async () => {
    const back = await roundTrip({ seen: new Set(["a", "b"]), missing: undefined, name: "lc" });
    if (!back) throw new Error("nothing read back");
    expect(back.seen).toBeInstanceOf(Set);
    expect([...(back.seen as Set<string>)]).toEqual(["a", "b"]);
    expect("missing" in back).toBe(true);
    expect(back.name).toBe("lc");
  });

  it("refuses a second step on a thread while one runs", () => {
    const saver = new StepCheckpointSaver();
    saver.begin("t", null);
    expect(() => saver.begin("t", null)).toThrow(/already running/);
  });
});
