import { createRoute } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, problems, router } from "../http/openapi.js";
import { SEARCH_LIMITS, SEARCH_MARKS, SearchQuery, SearchView } from "./schemas.js";
import { searchMessages } from "./search-messages.js";

/** Full-text search over the messages of the caller's groups; mounted behind authentication. */
export function searchRoutes(ctx: EdgeContext) {
  const route = createRoute({
    method: "get",
    path: "/",
    tags: ["Messages"],
    summary: "Search the messages of every group the caller is in",
    description: [
      "Every message of the groups the caller is in (owner, member or viewer), or of `groupId` only (a group the caller is not in answers 404), that holds every word of `q`",
      "(lower-cased, no stemming, any language). Best first (`ts_rank`), then newest; each hit carries a snippet with the matching words between",
      `${SEARCH_MARKS.start} and ${SEARCH_MARKS.stop}. At most ${SEARCH_LIMITS.maxLimit} hits per page; \`nextCursor\` continues it, in a stable order.`,
      `\`q\` is 1 to ${SEARCH_LIMITS.maxQueryChars} characters with at least one letter or digit. Read from PostgreSQL, which trails the stream by the recorder's lag.`,
    ].join(" "),
    security: bearer,
    request: { query: SearchQuery },
    responses: {
      200: json(SearchView, "A page of hits."),
      ...problems(400, 401, 403, 404, 429, 503),
    },
  });
  const app = router();
  app.openapi(route, async (c) =>
    c.json(await searchMessages({ ctx, principal: c.get("principal"), input: c.req.valid("query") }), 200),
  );
  return app;
}
