import { text } from "@conclave/subjects";
import { SNIPPET_MARKS } from "@conclave/tools";
import { z } from "@hono/zod-openapi";

/** What one search request may ask and answer. */
export const SEARCH_LIMITS = {
  /** Characters of `q` (after trimming). */
  maxQueryChars: 200,
  /** Hits per page (`limit` at most this). */
  maxLimit: 50,
  defaultLimit: 20,
  /** Characters of a `cursor` (a longer one is not one we wrote). */
  maxCursorChars: 200,
} as const;

/** How a snippet marks the words that matched: the same marks `search_history` gives agents. */
export const SEARCH_MARKS = SNIPPET_MARKS;

export const SearchQuery = z.strictObject({
  q: text()
    .trim()
    .min(1, "must not be empty")
    .max(SEARCH_LIMITS.maxQueryChars, `must be at most ${SEARCH_LIMITS.maxQueryChars} characters`)
    // The `simple` parser makes words of letters and digits; a query of neither matches nothing.
    .refine((q) => q === "" || /[\p{L}\p{N}]/u.test(q), "must contain a letter or a digit")
    .openapi({
      description:
        "Words to find; a message matches when it holds every one (case-insensitive, no stemming).",
      example: "budget review",
    }),
  groupId: z
    .uuid("must be a UUID")
    .optional()
    .openapi({ description: "Only this group (one of the caller's)." }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(SEARCH_LIMITS.maxLimit)
    .default(SEARCH_LIMITS.defaultLimit)
    .openapi({ description: `Hits per page, at most ${SEARCH_LIMITS.maxLimit}.` }),
  cursor: z
    .string()
    .max(SEARCH_LIMITS.maxCursorChars)
    // What `nextCursor` is made of (base64url): nothing else is one, NUL included.
    .regex(/^[A-Za-z0-9_-]*$/, "must be a nextCursor of this search")
    .optional()
    .openapi({ description: "`nextCursor` of the page before, with the same `q` and `groupId`." }),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

export const SearchHit = z
  .object({
    id: z.uuid().openapi({ description: "The message (the id of the event that carried it)." }),
    groupId: z.uuid(),
    seq: z.number().int(),
    turnId: z.uuid().nullable(),
    type: z.string(),
    author: z.object({ kind: z.string(), id: z.string(), name: z.string().nullable() }),
    at: z.string(),
    rank: z.number().openapi({ description: "`ts_rank` of the message for the query: higher is better." }),
    snippet: z.string().openapi({
      description: `The best passages of the message (the whole of a short one), each matching word between ${SEARCH_MARKS.start} and ${SEARCH_MARKS.stop}. Plain text, not HTML.`,
    }),
  })
  .openapi("SearchHit");
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchView = z
  .object({
    items: z.array(SearchHit),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Continues the search; null on the last page." }),
    marks: z.object({ start: z.string(), stop: z.string() }).openapi({ description: "The snippets' marks." }),
  })
  .openapi("SearchResults");
export type SearchView = z.infer<typeof SearchView>;
