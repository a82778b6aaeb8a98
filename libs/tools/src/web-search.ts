import { AppError, describeError } from "@conclave/errors";
import { z } from "zod";
import { deadlineSignal } from "./deadline-signal.js";
import { defineTool, type Tool, type ToolContext } from "./tool.js";

/** Configuration of the `web_search` tool: a Tavily-compatible search API. */
export interface WebSearchConfig {
  /** e.g. `https://api.tavily.com`; the tool POSTs to `{baseUrl}/search`. */
  baseUrl: string;
  apiKey: string;
  /** Time for one search (default 15 s). */
  timeoutMs?: number;
  /** The most results a call may ask for (default 10). */
  maxResults?: number;
  /** Characters kept of each result's content (default 2,000). */
  maxContentChars?: number;
}

/** One search hit as the model sees it. */
export interface WebSearchHit {
  title: string;
  url: string;
  content: string;
}

/** What `web_search` returns. */
export interface WebSearchResult {
  query: string;
  results: WebSearchHit[];
}

const MAX_RESPONSE_CHARS = 2 * 1024 * 1024;

const TavilyResponse = z.object({
  results: z.array(
    z.object({
      title: z.string().catch(""),
      url: z.string(),
      content: z.string().catch(""),
    }),
  ),
});

function searchArgs(maxResults: number) {
  return z.strictObject({
    query: z.string().trim().min(1).max(400).describe("What to search the web for."),
    maxResults: z
      .number()
      .int()
      .min(1)
      .max(maxResults)
      .default(Math.min(5, maxResults))
      .describe("How many results to return."),
  });
}
type WebSearchArgs = z.output<ReturnType<typeof searchArgs>>;

function failureForStatus(status: number, retryAfter: string | null): AppError {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  if (status === 401 || status === 403)
    return new AppError("permanent", `web_search: the search service refused the API key (${status})`);
  if (status === 429)
    return new AppError("rate_limited", "web_search: the search service is rate limiting", {
      ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }),
    });
  if (status === 400 || status === 422)
    return new AppError("validation", `web_search: the search service rejected the query (${status})`);
  return new AppError("unavailable", `web_search: the search service answered ${status}`);
}

/** Runs one search against a Tavily-compatible API (see `createWebSearchTool`). */
export async function webSearch(
  config: WebSearchConfig,
  args: { query: string; maxResults: number },
  parent: AbortSignal,
): Promise<WebSearchResult> {
  const timeoutMs = config.timeoutMs ?? 15_000;
  const maxContentChars = config.maxContentChars ?? 2_000;
  const deadline = deadlineSignal(parent, timeoutMs, "web_search");
  try {
    const res = await fetch(`${config.baseUrl.replace(/\/+$/, "")}/search`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        // Tavily reads the key from the body (older API) or the bearer header (current API).
        authorization: `Bearer ${config.apiKey}`,
      },
      body: JSON.stringify({ api_key: config.apiKey, query: args.query, max_results: args.maxResults }),
      signal: deadline.signal,
      redirect: "error",
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw failureForStatus(res.status, res.headers.get("retry-after"));
    }
    const text = await res.text();
    if (text.length > MAX_RESPONSE_CHARS)
      throw new AppError("unavailable", "web_search: the search service sent an oversized answer");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError("unavailable", "web_search: the search service sent an answer that is not JSON");
    }
    const parsed = TavilyResponse.safeParse(json);
    if (!parsed.success)
      throw new AppError("unavailable", "web_search: the search service sent an answer without results");
    return {
      query: args.query,
      results: parsed.data.results.slice(0, args.maxResults).map((r) => ({
        title: r.title,
        url: r.url,
        content: r.content.length > maxContentChars ? `${r.content.slice(0, maxContentChars)}…` : r.content,
      })),
    };
  } catch (e) {
    if (deadline.signal.aborted) throw deadline.error();
    if (e instanceof AppError) throw e;
    throw new AppError("unavailable", `web_search: the search service is unreachable: ${describeError(e)}`, {
      cause: e,
    });
  } finally {
    deadline.dispose();
  }
}

/** The `web_search` tool: a web search through a Tavily-compatible API, as title, URL and extract. */
export function createWebSearchTool(config: WebSearchConfig): Tool<WebSearchArgs, WebSearchResult> {
  const timeoutMs = config.timeoutMs ?? 15_000;
  return defineTool({
    name: "web_search",
    description: "Searches the web and returns the top results, each with its title, URL and an extract.",
    schema: searchArgs(config.maxResults ?? 10),
    timeoutMs: timeoutMs + 1_000,
    run: (args: WebSearchArgs, ctx: ToolContext) => webSearch(config, args, ctx.signal),
  });
}
