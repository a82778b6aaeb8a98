import { BLOCK_LABEL_PATTERN, BLOCK_LIMITS, text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";
import { GroupIdParam } from "../groups/schemas.js";

// The edge's own instance of `BlockLabel`: schemas made before zod-openapi loaded have no `.openapi`.
const Label = z
  .string()
  .regex(
    BLOCK_LABEL_PATTERN,
    "lower-case letters, digits, _ and -, at most 64, starting with a letter or digit",
  )
  .openapi({ example: "facts" });

export const BlockParams = GroupIdParam.extend({ label: Label });

export const IfMatchHeader = z.object({
  "if-match": z
    .string()
    .regex(/^"?\d{1,9}"?$/, 'a block version, e.g. 3 or "3"')
    .optional()
    .openapi({
      description:
        "Change the block only at this version (its `version`, or the `ETag`); `0`: only if there is none yet. Otherwise `409`.",
    }),
});

/** The version an `If-Match` header names (quoted like an ETag or not). */
export const ifVersionOf = (header: string | undefined): number | undefined =>
  header === undefined ? undefined : Number(header.replaceAll('"', ""));

export const PutBlockBody = z
  .strictObject({
    value: text()
      .max(BLOCK_LIMITS.maxLimit)
      .openapi({ description: "The block's whole text (within its `limit`)." }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(BLOCK_LIMITS.maxLimit)
      .optional()
      .openapi({
        description: `Characters the block may hold; default its current limit, else ${BLOCK_LIMITS.defaultLimit}.`,
      }),
  })
  .openapi("PutMemoryBlock");
export type PutBlockBody = z.infer<typeof PutBlockBody>;

const ActorView = z
  .object({
    kind: z.enum(["user", "agent", "system"]),
    id: z.string().openapi({ description: "The account id of a person, the agent id of an agent." }),
    name: z.string().optional(),
  })
  .openapi("Actor");

export const MemoryBlockView = z
  .object({
    label: Label,
    value: z.string(),
    limit: z.number().int(),
    version: z.number().int().openapi({ description: "1 when created, +1 at every change." }),
    updatedAt: z.string(),
    updatedBy: ActorView,
  })
  .openapi("MemoryBlock");
export type MemoryBlockView = z.infer<typeof MemoryBlockView>;

export const MemoryBlocksView = z
  .object({
    items: z.array(MemoryBlockView).openapi({ description: "By label." }),
    totalChars: z.number().int().openapi({ description: "Characters of all the group's blocks together." }),
    limits: z
      .object({
        maxBlocks: z.number().int(),
        maxTotalChars: z.number().int(),
        maxLimit: z.number().int(),
        defaultLimit: z.number().int(),
      })
      .openapi({
        description: "Blocks per group, characters in all, and a block's largest and default limit.",
      }),
  })
  .openapi("MemoryBlocks");
export type MemoryBlocksView = z.infer<typeof MemoryBlocksView>;

export const ETagHeader = z.object({
  etag: z
    .string()
    .openapi({ description: 'The block\'s version, quoted (`"3"`): send it back as `If-Match`.' }),
});

export const ResetBody = z
  .strictObject({
    reason: text().trim().min(1).max(1000).optional().openapi({ description: "Why; kept in the event." }),
  })
  .openapi("ResetMemory");

export const ResetView = z
  .object({
    resetSeq: z
      .number()
      .int()
      .openapi({ description: "The stream seq of the `memory.reset` event: later prompts start after it." }),
    eventId: z.uuid(),
  })
  .openapi("MemoryReset");
export type ResetView = z.infer<typeof ResetView>;
