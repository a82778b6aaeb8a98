import type { NatsConnection } from "@conclave/bus";
import { createCsvProfiler } from "@conclave/tools";
import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { GroupIdParam } from "../groups/schemas.js";
import { groupAccess } from "../http/group-access.js";
import { authenticated } from "../http/guards.js";
import { bearer, json, Problem, problems, router } from "../http/openapi.js";
import { closeOnRefusal } from "./close-on-refusal.js";
import { deleteFile } from "./delete-file.js";
import { createFileStore } from "./file-store.js";
import { getFile } from "./get-file.js";
import { listFiles } from "./list-files.js";
import { requireCsv } from "./require-csv.js";
import { csvBody, FileListView, FileParams, FileView, ListFilesQuery, UploadQuery } from "./schemas.js";
import { uploadFile } from "./upload-file.js";

const tags = ["Files"];
const security = bearer;

const unsupportedType = {
  415: {
    description: "The body is not `text/csv` (UTF-8); `errors` names `header.content-type`.",
    content: { "application/problem+json": { schema: Problem } },
  },
};

/**
 * A group's files. Mounted ahead of the edge's body limit (an upload is far larger than a JSON
 * body and caps itself), so each route authenticates on its own.
 */
export function fileRoutes(ctx: EdgeContext, deps: { nc: NatsConnection; maxFileBytes: number }) {
  const store = createFileStore(deps.nc, ctx.names.bucket("files"), ctx.config.PUBLISH_TIMEOUT_MS);
  const profiler = createCsvProfiler();
  const signedIn = authenticated(ctx);
  const uploadRoute = createRoute({
    method: "post",
    path: "/{groupId}/files",
    tags,
    summary: "Upload a CSV; it is profiled and offered to the group's agents (owners and members)",
    description:
      "The answer carries the profile: rows, and per column its type, nulls, distinct values and statistics. " +
      "Agents see each file's profile when a turn starts and may read it with the `dataset` tool.",
    security,
    // Access before the content type: a non-member learns nothing from how a body would be judged.
    middleware: [closeOnRefusal, signedIn, groupAccess(ctx, "post"), requireCsv],
    request: { params: GroupIdParam, query: UploadQuery, ...csvBody(deps.maxFileBytes) },
    responses: {
      201: { ...json(FileView, "The file and its profile."), headers: z.object({ location: z.string() }) },
      ...problems(400, 401, 403, 404, 413, 429, 503),
      ...unsupportedType,
    },
  });
  const listRoute = createRoute({
    method: "get",
    path: "/{groupId}/files",
    tags,
    summary: "A group's files, newest first",
    security,
    middleware: [signedIn],
    request: { params: GroupIdParam, query: ListFilesQuery },
    responses: {
      200: json(FileListView, "A page; `nextCursor` continues it."),
      ...problems(400, 401, 403, 404, 429),
    },
  });
  const getRoute = createRoute({
    method: "get",
    path: "/{groupId}/files/{fileId}",
    tags,
    summary: "A file of the group and its profile",
    security,
    middleware: [signedIn],
    request: { params: FileParams },
    responses: { 200: json(FileView, "The file."), ...problems(400, 401, 403, 404, 429) },
  });
  const deleteRoute = createRoute({
    method: "delete",
    path: "/{groupId}/files/{fileId}",
    tags,
    summary: "Delete a file, its bytes and its profile (owners)",
    security,
    middleware: [signedIn],
    request: { params: FileParams },
    responses: { 204: { description: "Deleted." }, ...problems(400, 401, 403, 404, 429, 503) },
  });

  const app = router();
  app.openapi(uploadRoute, async (c) => {
    const { groupId } = c.req.valid("param");
    const file = await uploadFile({
      ctx,
      store,
      profiler,
      maxBytes: deps.maxFileBytes,
      principal: c.get("principal"),
      input: {
        groupId,
        name: c.req.valid("query").name,
        body: c.req.raw.body,
        contentLength: c.req.header("content-length"),
      },
    });
    return c.json(file, 201, { location: `/v1/groups/${groupId}/files/${file.id}` });
  });
  app.openapi(listRoute, async (c) =>
    c.json(
      await listFiles({
        ctx,
        principal: c.get("principal"),
        groupId: c.req.valid("param").groupId,
        input: c.req.valid("query"),
      }),
      200,
    ),
  );
  app.openapi(getRoute, async (c) =>
    c.json(await getFile({ ctx, principal: c.get("principal"), ...c.req.valid("param") }), 200),
  );
  app.openapi(deleteRoute, async (c) => {
    await deleteFile({ ctx, store, principal: c.get("principal"), ...c.req.valid("param") });
    return c.body(null, 204);
  });
  return app;
}
