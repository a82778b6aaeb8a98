import { createRoute } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, problems, router } from "../http/openapi.js";
import { RangeQuery } from "../usage/schemas.js";
import { adminStats } from "./admin-stats.js";
import { StatsView } from "./schemas.js";

const statsRoute = createRoute({
  method: "get",
  path: "/stats",
  tags: ["Admin"],
  summary: "The deployment's conversations, turns, durations, success rate, model mix and errors, by day",
  description:
    "Account admins only (a session of theirs, or a key with the `admin` scope); anyone else gets 403. `from` inclusive, `to` exclusive (default: this UTC month so far).",
  security: bearer,
  request: { query: RangeQuery },
  responses: { 200: json(StatsView, "The figures."), ...problems(400, 401, 403, 429, 503) },
});

/** Admin routes; mounted behind authentication at /v1/admin. */
export function adminRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(statsRoute, async (c) =>
    c.json(await adminStats({ ctx, principal: c.get("principal"), input: c.req.valid("query") }), 200),
  );
  return app;
}
