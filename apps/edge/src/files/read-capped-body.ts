import { AppError } from "@conclave/errors";

const tooLarge = (maxBytes: number) =>
  new AppError("payload_too_large", `the file is over ${maxBytes} bytes`, {
    fields: [{ path: "body", message: `at most ${maxBytes} bytes` }],
  });

/**
 * Reads a request body, refusing it (413) as soon as it passes `maxBytes`: up front when its
 * Content-Length says so, else while it streams (chunked bodies have no length to check).
 */
export async function readCappedBody(
  body: ReadableStream<Uint8Array> | null,
  contentLength: string | undefined,
  maxBytes: number,
): Promise<Uint8Array> {
  if (contentLength !== undefined && Number(contentLength) > maxBytes) throw tooLarge(maxBytes);
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let read: Awaited<ReturnType<typeof reader.read>>;
    try {
      read = await reader.read();
    } catch (e) {
      throw new AppError("validation", "the body could not be read", {
        cause: e,
        fields: [{ path: "body", message: "unreadable" }],
      });
    }
    if (read.done) break;
    size += read.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks, size);
}
