import { AppError } from "@conclave/errors";
import { z } from "zod";
import { defineTool, type Tool, type ToolContext } from "./tool.js";

/** What marks a matched word in a snippet: `«word»`. */
export const SNIPPET_MARKS = { start: "«", stop: "»" } as const;
/** The longest snippet a hit carries, in characters (UTF-16 units). */
export const MAX_SNIPPET_CHARS = 300;
/** How many distinct words of a query are searched for; later ones are ignored. */
export const MAX_SEARCH_TERMS = 16;

/** One search of a group's history: any of `terms`, best first, at most `limit`, only before `beforeSeq`. */
export interface HistorySearch {
  groupId: string;
  terms: readonly string[];
  limit: number;
  beforeSeq?: number;
}

/** A message found in the history: where it is, who wrote it, and its matched words in context. */
export interface HistoryHit {
  seq: number;
  at: string;
  author: { kind: string; name: string | null };
  /** The best passage, matched words between `SNIPPET_MARKS`. */
  snippet: string;
  /** Higher is better: matched words count first, then how densely they occur. */
  rank: number;
}

/**
 * Where the history is searched: people's messages and agents' answers of one group (never
 * ballots or selector picks), every search scoped to `groupId`.
 */
export interface HistoryStore {
  search(search: HistorySearch): Promise<{ hits: HistoryHit[]; total: number }>;
}

/** Configuration of the `search_history` tool. */
export interface SearchHistoryToolConfig {
  store: HistoryStore;
  timeoutMs?: number;
}

/** What `search_history` returns: the hits shown, best first, and how many messages matched in all. */
export interface SearchHistoryResult {
  hits: HistoryHit[];
  total: number;
}

const SearchHistoryArgs = z.strictObject({
  query: z
    .string()
    .min(1)
    .max(200)
    .describe("A few distinctive words to look for; messages holding more of them rank first."),
  limit: z.number().int().min(1).max(20).default(5).describe("How many hits to return (1..20)."),
  beforeSeq: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Only messages before this seq, e.g. older than the oldest one you can see."),
});
type SearchHistoryArgs = z.output<typeof SearchHistoryArgs>;

const EDGE_NOISE = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

/**
 * The distinct words of a query (case-insensitively), punctuation around them dropped, at most
 * `MAX_SEARCH_TERMS`. Each is parsed by PostgreSQL on its own; a message matches any of them.
 */
export function historyTerms(query: string): string[] {
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const raw of query.split(/\s+/u)) {
    const word = raw.replace(EDGE_NOISE, "");
    const key = word.toLowerCase();
    if (word === "" || seen.has(key)) continue;
    seen.add(key);
    terms.push(word);
    if (terms.length === MAX_SEARCH_TERMS) break;
  }
  return terms;
}

/**
 * Cuts a snippet to `max` characters at a word boundary when there is one near, never inside a
 * surrogate pair, closing a mark left open and ending with `…`.
 */
export function cutSnippet(snippet: string, max = MAX_SNIPPET_CHARS): string {
  if (snippet.length <= max) return snippet;
  let end = max - 2; // room for "…" and a closing mark
  const code = snippet.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  const space = snippet.lastIndexOf(" ", end);
  if (space > end * 0.75) end = space;
  let cut = snippet.slice(0, end).trimEnd();
  if (cut.lastIndexOf(SNIPPET_MARKS.start) > cut.lastIndexOf(SNIPPET_MARKS.stop)) cut += SNIPPET_MARKS.stop;
  return `${cut}…`;
}

/** Searches the calling agent's group's history (see `createSearchHistoryTool`). */
export async function runSearchHistory(
  config: SearchHistoryToolConfig,
  args: SearchHistoryArgs,
  groupId: string | undefined,
): Promise<SearchHistoryResult> {
  if (groupId === undefined)
    throw new AppError("forbidden", "search_history: no group in scope for this call");
  const terms = historyTerms(args.query);
  if (terms.length === 0) return { hits: [], total: 0 };
  const found = await config.store.search({
    groupId,
    terms,
    limit: args.limit,
    ...(args.beforeSeq === undefined ? {} : { beforeSeq: args.beforeSeq }),
  });
  return { hits: found.hits.map((h) => ({ ...h, snippet: cutSnippet(h.snippet) })), total: found.total };
}

/** The `search_history` tool: full-text search over the group's earlier messages and answers. */
export function createSearchHistoryTool(
  config: SearchHistoryToolConfig,
): Tool<SearchHistoryArgs, SearchHistoryResult> {
  return defineTool({
    name: "search_history",
    description:
      "Searches this conversation's earlier messages and answers, including those too old to be in " +
      "your context. Messages holding more of the query's words rank first. Each hit gives its seq, " +
      `time, author and a snippet with the matched words marked ${SNIPPET_MARKS.start}like this${SNIPPET_MARKS.stop}; ` +
      "`total` is how many messages matched. Pass `beforeSeq` to look only further back.",
    schema: SearchHistoryArgs,
    timeoutMs: config.timeoutMs ?? 5_000,
    run: (args: SearchHistoryArgs, ctx: ToolContext) => runSearchHistory(config, args, ctx.groupId),
  });
}
