import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { addMember } from "./add-member.js";
import { listMembers } from "./list-members.js";
import { removeMember } from "./remove-member.js";
import { AddMemberBody, GroupIdParam, MemberParams, MemberPatch, MemberView, PersonView } from "./schemas.js";
import { updateMember } from "./update-member.js";

const tags = ["Group members"];
const security = bearer;

const listRoute = createRoute({
  method: "get",
  path: "/{groupId}/members",
  tags,
  summary: "The people of a group and their roles",
  security,
  request: { params: GroupIdParam },
  responses: {
    200: json(z.object({ items: z.array(PersonView) }), "The people."),
    ...problems(400, 401, 403, 404, 429),
  },
});

const addRoute = createRoute({
  method: "post",
  path: "/{groupId}/members",
  tags,
  summary: "Add a person by email or account id, or change their role (owners)",
  security,
  middleware: [requireJson],
  request: { params: GroupIdParam, ...jsonBody(AddMemberBody) },
  responses: { 201: json(MemberView, "The membership."), ...problems(400, 401, 403, 404, 409, 413, 429) },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/{groupId}/members/{accountId}",
  tags,
  summary: "Change a member's role (owners; not their own)",
  security,
  middleware: [requireJson],
  request: { params: MemberParams, ...jsonBody(MemberPatch) },
  responses: { 200: json(MemberView, "The membership."), ...problems(400, 401, 403, 404, 409, 413, 429) },
});

const removeRoute = createRoute({
  method: "delete",
  path: "/{groupId}/members/{accountId}",
  tags,
  summary: "Remove a person (owners), or leave (anyone); the last owner stays",
  security,
  request: { params: MemberParams },
  responses: { 204: { description: "Removed." }, ...problems(400, 401, 403, 404, 409, 429) },
});

/** The people of a group; mounted behind authentication. */
export function memberRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(listRoute, async (c) =>
    c.json(
      await listMembers({ ctx, principal: c.get("principal"), groupId: c.req.valid("param").groupId }),
      200,
    ),
  );
  app.openapi(addRoute, async (c) =>
    c.json(
      await addMember({
        ctx,
        principal: c.get("principal"),
        groupId: c.req.valid("param").groupId,
        input: c.req.valid("json"),
      }),
      201,
    ),
  );
  app.openapi(patchRoute, async (c) =>
    c.json(
      await updateMember({
        ctx,
        principal: c.get("principal"),
        ...c.req.valid("param"),
        role: c.req.valid("json").role,
      }),
      200,
    ),
  );
  app.openapi(removeRoute, async (c) => {
    await removeMember({ ctx, principal: c.get("principal"), ...c.req.valid("param") });
    return c.body(null, 204);
  });
  return app;
}
