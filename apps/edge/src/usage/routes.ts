import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { deleteBudget } from "./delete-budget.js";
import { getUsage } from "./get-usage.js";
import { listBudgets } from "./list-budgets.js";
import {
  BudgetIdParam,
  BudgetView,
  MonthParam,
  SetBudgetBody,
  StatementQuery,
  StatementView,
  UsageQuery,
  UsageView,
} from "./schemas.js";
import { setBudget } from "./set-budget.js";
import { statementCsv, usageStatement } from "./usage-statement.js";

const security = bearer;

const usageRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["Usage"],
  summary: "The caller's LLM use and cost, rolled up by day, group, agent or model",
  description: [
    "From the usage ledger: one row per LLM call (whatever the redeliveries), priced by the price in effect when the call started.",
    "`from` inclusive, `to` exclusive (default: this UTC month so far). Admins may name another account with `accountId`; anyone else naming one gets 404.",
    "`budgets` are the account's budgets with their current period.",
  ].join(" "),
  security,
  request: { query: UsageQuery },
  responses: { 200: json(UsageView, "The rollup."), ...problems(400, 401, 403, 404, 429, 503) },
});

const statementRoute = createRoute({
  method: "get",
  path: "/statements/{month}",
  tags: ["Usage"],
  summary: "A month's statement: one line per group, agent, provider and model",
  description:
    "JSON by default; CSV with `?format=csv` or `Accept: text/csv` (a header row, the lines, a total row). Admins may name another account with `accountId`.",
  security,
  request: { params: MonthParam, query: StatementQuery },
  responses: {
    200: {
      description: "The statement.",
      content: {
        "application/json": { schema: StatementView },
        "text/csv": { schema: z.string() },
      },
    },
    ...problems(400, 401, 403, 404, 429, 503),
  },
});

/** The caller's usage and statements; mounted behind authentication at /v1/usage. */
export function usageRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(usageRoute, async (c) =>
    c.json(await getUsage({ ctx, principal: c.get("principal"), input: c.req.valid("query") }), 200),
  );
  app.openapi(statementRoute, async (c) => {
    const { month } = c.req.valid("param");
    const query = c.req.valid("query");
    const statement = await usageStatement({
      ctx,
      principal: c.get("principal"),
      input: { month, accountId: query.accountId },
    });
    const csv =
      query.format === "csv" || (!query.format && /\btext\/csv\b/.test(c.req.header("accept") ?? ""));
    if (csv)
      return c.body(statementCsv(statement), 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="statement-${month}.csv"`,
      });
    return c.json(statement, 200);
  });
  return app;
}

const tags = ["Budgets"];

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The budgets of the caller's account and of the groups they are in",
  security,
  responses: {
    200: json(z.object({ items: z.array(BudgetView) }), "The budgets, each with its current period."),
    ...problems(401, 403, 429, 503),
  },
});

const setRoute = createRoute({
  method: "put",
  path: "/",
  tags,
  summary: "Set a budget: an account's or a group's, in tokens or money, per UTC day or month",
  description: [
    "One budget per scope, unit and period: this creates it or replaces its cap and warning share.",
    "An account's budget caps every call of its agents; a group's every call in the group. Each call reserves its most (prompt + max output, priced for `money`) before it runs and settles its use after; a call that would take a budget over its cap is refused (`budget.exceeded`, the turn fails with `budget`).",
    "The account itself (or an admin) sets an account's; a group's owners set a group's (others: 404, members 403).",
  ].join(" "),
  security,
  middleware: [requireJson],
  request: jsonBody(SetBudgetBody),
  responses: {
    200: json(BudgetView, "Replaced."),
    201: json(BudgetView, "Created."),
    ...problems(400, 401, 403, 404, 413, 429, 503),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{budgetId}",
  tags,
  summary: "Remove a budget",
  security,
  request: { params: BudgetIdParam },
  responses: { 204: { description: "Removed." }, ...problems(400, 401, 403, 404, 429, 503) },
});

/** Budgets; mounted behind authentication at /v1/budgets. */
export function budgetRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(listRoute, async (c) => c.json(await listBudgets({ ctx, principal: c.get("principal") }), 200));
  app.openapi(setRoute, async (c) => {
    const { created, budget } = await setBudget({
      ctx,
      principal: c.get("principal"),
      input: c.req.valid("json"),
    });
    return created ? c.json(budget, 201) : c.json(budget, 200);
  });
  app.openapi(deleteRoute, async (c) => {
    await deleteBudget({ ctx, principal: c.get("principal"), input: c.req.valid("param") });
    return c.body(null, 204);
  });
  return app;
}
