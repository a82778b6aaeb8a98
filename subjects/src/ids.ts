import { createHash } from "node:crypto";
import { v7 as uuidv7 } from "uuid";

/** A new time-ordered event id (UUIDv7); it is also the event's `Nats-Msg-Id`. */
export function newEventId(): string {
  return uuidv7();
}

/**
 * The id of an event derived from another (a reply to a work item, a turn's completion):
 * the same inputs always give the same id, so a worker that re-publishes after a crash is
 * deduplicated by JetStream and by the recorder. The result keeps the parent's UUIDv7 time prefix
 * and layout, so ids still sort by time.
 */
export function deriveEventId(parentId: string, key: string): string {
  const hash = createHash("sha256").update(parentId).update("\u0000").update(key).digest("hex");
  const timePrefix = parentId.replaceAll("-", "").slice(0, 12);
  const hex = `${timePrefix}7${hash.slice(0, 3)}${((Number.parseInt(hash.slice(3, 4), 16) & 0x3) | 0x8).toString(16)}${hash.slice(4, 19)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The id of a work item's outcome event (`agent.replied`, `agent.tool_requested`, `agent.failed`, `tool.completed`): its token deltas name the same work. */
export function workOutcomeId(workId: string): string {
  return deriveEventId(workId, "outcome");
}
