import {
  Annotation,
  Command,
  getConfig,
  interrupt,
  MemorySaver,
  START,
  StateGraph,
} from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { tracingRequested, useUntracedContext } from "./untraced-context.js";

describe("untraced context", () => {
  it("is not used when tracing or verbose logging is switched on", () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ LANGSMITH_TRACING: "false" })).toBe(false);
    expect(tracingRequested({ LANGSMITH_TRACING: "true" })).toBe(true);
    expect(tracingRequested({ LANGCHAIN_TRACING_V2: "true" })).toBe(true);
    expect(tracingRequested({ LANGCHAIN_VERBOSE: "true" })).toBe(true);
    expect(useUntracedContext({ LANGSMITH_TRACING: "true" })).toBe(false);
  });

  it("carries each node's config, and interrupt and resume work as before", async () => {
    expect(useUntracedContext({})).toBe(true);
    const S = Annotation.Root({
      seen: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
    });
    const graph = new StateGraph(S)
      .addNode("ask", () => ({ seen: [`thread ${String(getConfig().configurable?.thread_id)}`] }))
      .addNode("wait", () => ({ seen: [`resumed with ${interrupt<string, string>("waiting")}`] }))
      .addEdge(START, "ask")
      .addEdge("ask", "wait")
      .compile({ checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: "t1" } };
    const first = (await graph.invoke({ seen: [] }, config)) as { seen: string[]; __interrupt__?: unknown[] };
    expect(first.seen).toEqual(["thread t1"]);
    expect(first.__interrupt__).toHaveLength(1);
    const second = (await graph.invoke(new Command({ resume: "yes" }), config)) as { seen: string[] };
    expect(second.seen).toEqual(["thread t1", "resumed with yes"]);
  });
});
