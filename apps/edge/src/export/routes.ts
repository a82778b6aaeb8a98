import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import type { EdgeEnv } from "../http/env.js";
import { bearer, problems, router } from "../http/openapi.js";
import { NDJSON } from "../replay/routes.js";
import { exportAccount } from "./export-account.js";
import { jsonDocument, ndjsonStream } from "./export-body.js";
import { exportGroup } from "./export-group.js";
import type { ExportPlan } from "./export-plan.js";
import { AccountExportJson, ExportQuery, ExportRecord, GroupExportJson } from "./schemas.js";

const tags = ["Data"];

const formats = (ctx: EdgeContext) => [
  '`format=ndjson` (the default) streams one record per line (`{ "kind": "event", … }`), read from PostgreSQL in pages as the client takes them: the first line is the header, the last `end` with the count of each kind (an answer without it was cut short).',
  `\`format=json\` is one document, refused (400 naming \`query.format\`) above ${ctx.config.EXPORT_JSON_MAX_EVENTS} events or ${ctx.config.EXPORT_JSON_MAX_LLM_CALLS} LLM calls (\`EXPORT_JSON_MAX_EVENTS\`, \`EXPORT_JSON_MAX_LLM_CALLS\`).`,
  "Events are those recorded up to the group's `throughSeq` when the export began. No secret is ever exported: no password hash, API key secret or provider credential.",
];

/** Answers a plan in its format, as an attachment. */
async function answer(c: Context<EdgeEnv>, ctx: EdgeContext, plan: ExportPlan, name: string) {
  const headers = {
    "cache-control": "no-store",
    "content-disposition": `attachment; filename="${name}.${plan.format === "json" ? "json" : "ndjson"}"`,
  };
  if (plan.format === "json")
    return c.body(JSON.stringify(await jsonDocument(plan)), 200, {
      ...headers,
      "content-type": "application/json; charset=utf-8",
    });
  return c.body(await ndjsonStream(plan, ctx.log), 200, {
    ...headers,
    "content-type": `${NDJSON}; charset=utf-8`,
  });
}

/** A group's export; mounted under `/v1/groups` behind authentication. */
export function groupExportRoutes(ctx: EdgeContext) {
  const route = createRoute({
    method: "get",
    path: "/{groupId}/export",
    tags,
    summary: "Export a group: settings, agents, members, files, memory, votes, events and LLM calls (owners)",
    description: [
      "Everything recorded of the group: its settings, seated agents (the caller's own with their whole definition, another account's by name, provider and model only), members (account id, email, role),",
      "file metadata (not the bytes), memory blocks and summaries, votes with their ballots, every event in seq order, and every LLM call with its prompt.",
      "Only the group's owners may export it (a read-scoped credential suffices); a member or viewer gets 403, anyone else 404.",
      ...formats(ctx),
    ].join(" "),
    security: bearer,
    request: { params: GroupIdParam, query: ExportQuery },
    responses: {
      200: {
        description: "The export, as NDJSON records or one JSON document.",
        content: { [NDJSON]: { schema: ExportRecord }, "application/json": { schema: GroupExportJson } },
      },
      ...problems(400, 401, 403, 404, 429, 503),
    },
  });
  const app = router();
  app.openapi(route, async (c) => {
    const { groupId } = c.req.valid("param");
    const input = { groupId, ...c.req.valid("query") };
    const plan = await exportGroup({ ctx, principal: c.get("principal"), input });
    // zod-openapi types `x-ndjson` as no valid answer at all.
    return (await answer(c, ctx, plan, `conclave-group-${groupId}`)) as never;
  });
  return app;
}

/** The caller's account export; mounted under `/v1/me` behind authentication. */
export function accountExportRoutes(ctx: EdgeContext) {
  const route = createRoute({
    method: "get",
    path: "/export",
    tags,
    summary: "Export the caller's account: the account, its agents, API keys and every group it owns",
    description: [
      "The account (no password hash), its agents with their definitions, its API keys' metadata (revoked ones too; never a secret), then each group it owns as the group export gives it.",
      "Provider credentials are not exported. With an API key, the key needs the admin scope (as listing keys does).",
      ...formats(ctx),
    ].join(" "),
    security: bearer,
    request: { query: ExportQuery },
    responses: {
      200: {
        description: "The export, as NDJSON records or one JSON document.",
        content: { [NDJSON]: { schema: ExportRecord }, "application/json": { schema: AccountExportJson } },
      },
      ...problems(400, 401, 403, 429, 503),
    },
  });
  const app = router();
  app.openapi(route, async (c) => {
    const principal = c.get("principal");
    const plan = await exportAccount({ ctx, principal, input: c.req.valid("query") });
    return (await answer(c, ctx, plan, `conclave-account-${principal.accountId}`)) as never;
  });
  return app;
}
