import { createHash } from "node:crypto";
import {
  type Actor,
  BLOCK_LIMITS,
  deriveEventId,
  type MemoryBlock,
  type MemoryRecord,
  type MemoryUpdated,
} from "@conclave/subjects";

/** One change to a block, by a person (set, delete) or an agent's `memory` tool (append, replace). */
export type BlockChange =
  | { action: "set"; label: string; value: string; limit?: number; ifVersion?: number }
  | { action: "delete"; label: string; ifVersion?: number }
  | { action: "append"; label: string; text: string }
  | { action: "replace"; label: string; old: string; new: string };

/** Why a change was refused; `field` names what was wrong (for a problem+json's field list). */
export interface BlockRefusal {
  code: "not_found" | "conflict" | "too_large" | "invalid";
  field: string;
  message: string;
}

export const digestOf = (value: string): string => createHash("sha256").update(value).digest("hex");

/** What to record and publish for a change: the new record and the payload of its `memory.updated`. */
export interface BlockChanged {
  record: MemoryRecord;
  block: MemoryBlock | null;
  updated: MemoryUpdated;
}

/**
 * Applies one change to the group's blocks, within their limits (a block's own character limit,
 * blocks per group, characters in all). Refusals change nothing. `key` (a tool call's idempotency
 * key) makes a re-run of the same call a no-op that answers the block as it is.
 */
export function changeBlock(
  record: MemoryRecord,
  change: BlockChange,
  actor: Actor,
  now: Date,
  key?: string,
): BlockChanged | BlockRefusal | { unchanged: MemoryBlock | null } {
  const current = record.blocks.find((b) => b.label === change.label) ?? null;
  if (key && record.appliedKeys.includes(key)) return { unchanged: current };
  if ("ifVersion" in change && change.ifVersion !== undefined && (current?.version ?? 0) !== change.ifVersion)
    return {
      code: "conflict",
      field: "header.if-match",
      message: `block ${change.label} is at version ${current?.version ?? 0}, not ${change.ifVersion}`,
    };
  let value: string | null;
  let limit = current?.limit ?? BLOCK_LIMITS.defaultLimit;
  switch (change.action) {
    case "set":
      value = change.value;
      limit = change.limit ?? limit;
      break;
    case "delete":
      if (!current) return { code: "not_found", field: "path.label", message: `no block ${change.label}` };
      value = null;
      break;
    case "append":
      value = current && current.value.length > 0 ? `${current.value}\n${change.text}` : change.text;
      break;
    case "replace":
      if (!current) return { code: "not_found", field: "label", message: `no block ${change.label}` };
      if (change.old.length === 0 || !current.value.includes(change.old))
        return {
          code: "invalid",
          field: "old",
          message: `the text to replace is not in block ${change.label}`,
        };
      value = current.value.replace(change.old, change.new);
      break;
  }
  if (value !== null) {
    const path = change.action === "set" ? "body.value" : change.action === "append" ? "text" : "new";
    if (value.length > limit)
      return {
        code: "too_large",
        field: path,
        message: `block ${change.label} would hold ${value.length} characters; its limit is ${limit}`,
      };
    const others = record.blocks.filter((b) => b.label !== change.label);
    if (!current && others.length >= BLOCK_LIMITS.maxBlocks)
      return {
        code: "too_large",
        field: "path.label",
        message: `a group has at most ${BLOCK_LIMITS.maxBlocks} blocks`,
      };
    const total = others.reduce((n, b) => n + b.value.length, value.length);
    if (total > BLOCK_LIMITS.maxTotalChars)
      return {
        code: "too_large",
        field: path,
        message: `the group's blocks would hold ${total} characters; at most ${BLOCK_LIMITS.maxTotalChars} in all`,
      };
  }
  const version = value === null ? (current?.version ?? 1) : (current?.version ?? 0) + 1;
  const block: MemoryBlock | null =
    value === null
      ? null
      : { label: change.label, value, limit, version, updatedAt: now.toISOString(), updatedBy: actor };
  const blocks = record.blocks.filter((b) => b.label !== change.label);
  if (block) blocks.push(block);
  blocks.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return {
    record: {
      ...record,
      blocks,
      blockChanges: record.blockChanges + 1,
      appliedKeys: key ? [...record.appliedKeys, key].slice(-64) : record.appliedKeys,
    },
    block,
    updated: {
      label: change.label,
      action: change.action,
      oldDigest: current ? digestOf(current.value) : null,
      newDigest: value === null ? null : digestOf(value),
      value,
      limit,
      version,
    },
  };
}

/** Whether `changeBlock` refused. */
export const isRefusal = (r: ReturnType<typeof changeBlock>): r is BlockRefusal => "code" in r;

/** The `memory.updated` event's id: one per change of the group's blocks (a retried publish is deduplicated). */
export const blockEventId = (record: MemoryRecord): string =>
  deriveEventId(record.groupId, `memory.updated:${record.blockChanges}`);
