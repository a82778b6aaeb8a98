import { describe, expect, it } from "vitest";
import { createSseParser, type SseEvent } from "./sse-parser.js";

describe("the widget's SSE parser", () => {
  it("reads events split anywhere across chunks, skipping comments", () => {
    const got: SseEvent[] = [];
    const p = createSseParser((e) => got.push(e));
    const text =
      ': heartbeat\n\nid: 7\nevent: message.posted\ndata: {"a":1}\n\nid: 8\r\nevent: agent.replied\r\ndata: x\r\ndata: y\r\n\r\n';
    for (const ch of text) p.push(ch);
    expect(got).toEqual([
      { id: "7", event: "message.posted", data: '{"a":1}' },
      { id: "8", event: "agent.replied", data: "x\ny" },
    ]);
  });

  it("names an unnamed event `message` and waits for the blank line", () => {
    const got: SseEvent[] = [];
    const p = createSseParser((e) => got.push(e));
    p.push("data: hello\n");
    expect(got).toHaveLength(0);
    p.push("\n");
    expect(got).toEqual([{ id: undefined, event: "message", data: "hello" }]);
  });
});
