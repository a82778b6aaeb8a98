import { BLOCK_LIMITS, type MemoryBlock, type MemoryRecord } from "@conclave/subjects";
import type { MemoryBlocksView, MemoryBlockView } from "./schemas.js";

/** A block as the API shows it. */
export function blockView(b: MemoryBlock): MemoryBlockView {
  return {
    label: b.label,
    value: b.value,
    limit: b.limit,
    version: b.version,
    updatedAt: b.updatedAt,
    updatedBy: b.updatedBy,
  };
}

/** A group's blocks, their size together and the limits they live within. */
export function blocksView(record: MemoryRecord): MemoryBlocksView {
  return {
    items: record.blocks.map(blockView),
    totalChars: record.blocks.reduce((n, b) => n + b.value.length, 0),
    limits: {
      maxBlocks: BLOCK_LIMITS.maxBlocks,
      maxTotalChars: BLOCK_LIMITS.maxTotalChars,
      maxLimit: BLOCK_LIMITS.maxLimit,
      defaultLimit: BLOCK_LIMITS.defaultLimit,
    },
  };
}

/** The block's version as an entity tag. */
export const etagOf = (b: MemoryBlockView): string => `"${b.version}"`;
