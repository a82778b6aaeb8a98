/**
 * Where an AG-UI stream stands, sent as each SSE event's `id`. `seq`: every event of the turn up
 * to that stream seq is translated and sent; `part`: of the next one's own outputs (after its text
 * endings), that many were sent; `marks`: text messages started and not yet passed, with the
 * characters sent of each (token deltas have no seq), or `ended`. Written `42`, `42+1`,
 * `42;<messageId>=17;<messageId>=e`.
 */
export interface Cursor {
  seq: number;
  part: number;
  marks: Map<string, number | "ended">;
}

export function formatCursor(c: Cursor): string {
  const head = c.part > 0 ? `${c.seq}+${c.part}` : String(c.seq);
  const marks = [...c.marks].map(([id, m]) => `${id}=${m === "ended" ? "e" : m}`);
  return [head, ...marks].join(";");
}

/** The cursor of an SSE `id` this endpoint sent, or undefined when it is not one. */
export function parseCursor(raw: string): Cursor | undefined {
  const [head, ...rest] = raw.trim().split(";");
  const h = /^(\d{1,15})(?:\+(\d{1,6}))?$/.exec(head ?? "");
  if (!h?.[1]) return undefined;
  const marks = new Map<string, number | "ended">();
  for (const part of rest) {
    const m = /^([0-9a-f-]{36})=(e|\d{1,9})$/.exec(part);
    if (!m?.[1] || !m[2]) return undefined;
    marks.set(m[1], m[2] === "e" ? "ended" : Number(m[2]));
  }
  return { seq: Number(h[1]), part: h[2] ? Number(h[2]) : 0, marks };
}
