import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { readCappedBody } from "./read-capped-body.js";

function stream(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(c) {
      const next = chunks.shift();
      if (next) c.enqueue(next);
      else c.close();
    },
    cancel: onCancel,
  });
}
const bytes = (n: number, fill = 97) => new Uint8Array(n).fill(fill);

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe("reading an upload with a byte cap", () => {
  it("reads a body up to the cap, whole", async () => {
    const body = await readCappedBody(stream([bytes(6), bytes(4, 98)]), undefined, 10);
    expect(Buffer.from(body).toString()).toBe("aaaaaabbbb");
    expect((await readCappedBody(null, undefined, 10)).byteLength).toBe(0);
  });

  it("refuses a Content-Length over the cap without reading", async () => {
    const body = stream([bytes(11)]);
    const e = await refusal(readCappedBody(body, "11", 10));
    expect(e.code).toBe("payload_too_large");
    expect(e.fields).toEqual([{ path: "body", message: "at most 10 bytes" }]);
    expect(body.locked).toBe(false);
  });

  it("stops a chunked body (or one that lies about its length) as soon as it passes the cap", async () => {
    let cancelled = false;
    const chunks = [bytes(6), bytes(6), bytes(6)];
    const e = await refusal(
      readCappedBody(
        stream(chunks, () => (cancelled = true)),
        "3",
        10,
      ),
    );
    expect(e.code).toBe("payload_too_large");
    expect(cancelled).toBe(true);
    expect(chunks).toHaveLength(1);
  });

  it("names a body that breaks off as unreadable", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(c) {
        c.error(new Error("socket hang up"));
      },
    });
    const e = await refusal(readCappedBody(broken, undefined, 10));
    expect(e).toMatchObject({ code: "validation", fields: [{ path: "body", message: "unreadable" }] });
  });
});
