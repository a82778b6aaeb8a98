/** One Server-Sent Event: its type (`message` when unnamed), its data lines joined by `\n`, its id. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Parses a Server-Sent Events byte stream as the WHATWG HTML standard (§9.2.6) reads it: lines end
 * in CRLF, LF or CR, `:` starts a comment, a blank line dispatches. An event left without its
 * blank line when the stream ends is still dispatched.
 */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let first = true;
  let eventType = "";
  let data: string[] = [];
  let id: string | undefined;

  const dispatch = (): SseEvent | undefined => {
    const out =
      data.length > 0
        ? { event: eventType || "message", data: data.join("\n"), ...(id !== undefined ? { id } : {}) }
        : undefined;
    eventType = "";
    data = [];
    return out;
  };
  const field = (line: string) => {
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") eventType = value;
    else if (name === "data") data.push(value);
    else if (name === "id" && !value.includes("\0")) id = value;
  };

  function* lines(final: boolean): Generator<SseEvent> {
    for (;;) {
      const at = buffer.search(/[\r\n]/);
      if (at === -1) return;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (buffer[at] === "\r" && at === buffer.length - 1 && !final) return;
      const line = buffer.slice(0, at);
      buffer = buffer.slice(buffer[at] === "\r" && buffer[at + 1] === "\n" ? at + 2 : at + 1);
      if (line === "") {
        const event = dispatch();
        if (event) yield event;
      } else field(line);
    }
  }

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    if (first && buffer.length > 0) {
      if (buffer.startsWith("\uFEFF")) buffer = buffer.slice(1);
      first = false;
    }
    yield* lines(false);
  }
  buffer += decoder.decode();
  yield* lines(true);
  if (buffer !== "") field(buffer);
  const event = dispatch();
  if (event) yield event;
}
