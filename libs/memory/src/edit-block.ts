import { AppError, assertNever, type ErrorCode } from "@conclave/errors";
import {
  type Actor,
  BlockLabel,
  type MemoryBlock,
  makeEnvelope,
  toStorable,
  UNSTORABLE_MESSAGE,
} from "@conclave/subjects";
import { type BlockChange, type BlockRefusal, blockEventId, changeBlock, isRefusal } from "./blocks.js";
import type { MemoryStore } from "./memory-store.js";

/** One change to a group's blocks, and who makes it (a person at the edge, an agent's `memory` tool). */
export interface BlockEdit {
  groupId: string;
  change: BlockChange;
  actor: Actor;
  /** The turn an agent changed the block in (null for a person's change). */
  turnId?: string | null;
  causationId?: string | null;
  /** A tool call's idempotency key: running the same call again changes nothing. */
  key?: string;
  now?: Date;
}

/** What an edit did: the block after it (null once deleted), and the `memory.updated` it published. */
export interface BlockEdited {
  block: MemoryBlock | null;
  /** False for a re-run of a call already applied (`key`): nothing changed, nothing was published. */
  changed: boolean;
  /** There was no block of that label before. */
  created: boolean;
  /** The id of the `memory.updated` event (null when nothing changed). */
  eventId: string | null;
}

const REFUSAL_CODE: Record<BlockRefusal["code"], ErrorCode> = {
  not_found: "not_found",
  conflict: "conflict",
  too_large: "unprocessable",
  invalid: "validation",
};

/** A refusal as the error transports answer: 404, 409, 422 (a limit), 400; the field named. */
export function refusalError(r: BlockRefusal): AppError {
  return new AppError(REFUSAL_CODE[r.code], r.message, { fields: [{ path: r.field, message: r.message }] });
}

/** The text an agent's change brings in, kept storable (NUL and lone surrogates become U+FFFD). */
function storable(change: BlockChange): BlockChange {
  switch (change.action) {
    case "set":
    case "delete":
      return change;
    case "append":
      return { ...change, text: toStorable(change.text) };
    case "replace":
      return { ...change, old: toStorable(change.old), new: toStorable(change.new) };
    default:
      return assertNever(change, "block change");
  }
}

/**
 * Applies one change to the group's blocks through the memory store (compare-and-set), its
 * `memory.updated` going out through the record's outbox under `blockEventId` of the record it
 * changed. A refusal throws (see `refusalError`) and changes nothing.
 */
export async function editBlock(store: MemoryStore, edit: BlockEdit): Promise<BlockEdited> {
  const label = BlockLabel.safeParse(edit.change.label);
  if (!label.success)
    throw new AppError("validation", `invalid block label ${JSON.stringify(edit.change.label)}`, {
      fields: [{ path: "label", message: label.error.issues[0]?.message ?? UNSTORABLE_MESSAGE }],
    });
  const change = storable(edit.change);
  const now = edit.now ?? new Date();
  let outcome: BlockEdited | BlockRefusal | undefined;
  await store.transact(edit.groupId, (record) => {
    const r = changeBlock(record, change, edit.actor, now, edit.key);
    if (isRefusal(r)) {
      outcome = r;
      return null;
    }
    if ("unchanged" in r) {
      outcome = { block: r.unchanged, changed: false, created: false, eventId: null };
      return null;
    }
    const event = makeEnvelope({
      id: blockEventId(record),
      type: "memory.updated",
      groupId: edit.groupId,
      turnId: edit.turnId ?? null,
      causationId: edit.causationId ?? null,
      actor: edit.actor,
      payload: r.updated,
      at: now.toISOString(),
    });
    outcome = { block: r.block, changed: true, created: r.updated.oldDigest === null, eventId: event.id };
    return { record: r.record, emit: [event] };
  });
  if (!outcome) throw new AppError("internal", "a block change decided nothing");
  if ("code" in outcome) throw refusalError(outcome);
  return outcome;
}
