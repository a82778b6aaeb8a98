import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSse, type SseEvent } from "./sse.js";

const bytes = (s: string) => new TextEncoder().encode(s);

async function parse(chunks: Uint8Array[]): Promise<SseEvent[]> {
  async function* body() {
    yield* chunks;
  }
  const out: SseEvent[] = [];
  for await (const e of parseSse(body())) out.push(e);
  return out;
}

const STREAM =
  "\uFEFF: a comment\n" +
  'event: message_start\ndata: {"a":1}\n\n' +
  "data: line one\r\ndata:line two\r\n\r\n" +
  "id: 7\rdata: é ✓ 🎉\r\r" +
  "event: ignored-without-data\n\n" +
  "retry: 100\ndata\n\n" +
  "data: tail without blank line";

const EXPECTED: SseEvent[] = [
  { event: "message_start", data: '{"a":1}' },
  { event: "message", data: "line one\nline two" },
  { event: "message", data: "é ✓ 🎉", id: "7" },
  { event: "message", data: "", id: "7" },
  { event: "message", data: "tail without blank line", id: "7" },
];

describe("parseSse", () => {
  it("reads events, comments, CRLF/CR/LF line ends, multi-line data, ids and a last event without its blank line", async () => {
    expect(await parse([bytes(STREAM)])).toEqual(EXPECTED);
  });

  it("gives the same events however the bytes are split into chunks", async () => {
    const all = bytes(STREAM);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 40 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), all.length];
          const chunks = points.slice(1).map((end, i) => all.slice(points[i], end));
          expect(await parse(chunks)).toEqual(EXPECTED);
        },
      ),
    );
  });

  it("does not split a CRLF that straddles two chunks into two line ends", async () => {
    expect(await parse([bytes("data: a\r"), bytes("\n\r"), bytes("\ndata: b\n\n")])).toEqual([
      { event: "message", data: "a" },
      { event: "message", data: "b" },
    ]);
  });
});
