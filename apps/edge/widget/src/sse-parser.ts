/** One Server-Sent Event as read from the stream. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream into events, chunk by chunk (a chunk may end mid-line): `id`, `event`,
 * `data` (joined by newlines); comments and `retry` are skipped.
 */
export function createSseParser(onEvent: (e: SseEvent) => void): { push(chunk: string): void } {
  let buffer = "";
  let id: string | undefined;
  let event = "";
  let data: string[] = [];
  const line = (raw: string) => {
    if (raw === "") {
      if (data.length > 0) onEvent({ id, event: event || "message", data: data.join("\n") });
      id = undefined;
      event = "";
      data = [];
      return;
    }
    if (raw.startsWith(":")) return;
    const colon = raw.indexOf(":");
    const field = colon < 0 ? raw : raw.slice(0, colon);
    let value = colon < 0 ? "" : raw.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  };
  return {
    push(chunk) {
      buffer += chunk;
      // A trailing CR may be half of a CRLF whose LF is in the next chunk.
      const held = buffer.endsWith("\r") ? "\r" : "";
      const lines = (held ? buffer.slice(0, -1) : buffer).split(/\r\n|\r|\n/);
      buffer = (lines.pop() ?? "") + held;
      for (const l of lines) line(l);
    },
  };
}
