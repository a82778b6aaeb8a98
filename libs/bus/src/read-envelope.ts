import { type AnyEnvelope, type Names, parseEnvelope } from "@conclave/subjects";
import { subjectOf } from "./publish.js";

export type ReadResult = { ok: true; envelope: AnyEnvelope } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a stored or delivered message as an envelope, never throwing: a body that is not JSON, an
 * envelope that fails its schema, or one on a subject other than its own (an `agent.replied` on a
 * `message.posted` subject, another group's event) is a reason to skip or dead-letter it.
 */
export function readEnvelope(names: Names, msg: { subject: string; data: Uint8Array }): ReadResult {
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(msg.data));
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) {
    return {
      ok: false,
      reason: `schema: ${parsed.issues.map((i) => `${i.path || "(root)"} ${i.message}`).join("; ")}`,
    };
  }
  const expected = subjectOf(names, parsed.envelope);
  if (expected !== msg.subject) {
    return {
      ok: false,
      reason: `subject: a ${parsed.envelope.type} of group ${parsed.envelope.groupId} belongs on ${expected}, not ${msg.subject}`,
    };
  }
  return { ok: true, envelope: parsed.envelope };
}
