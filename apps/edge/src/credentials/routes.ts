import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { deleteCredential } from "./delete-credential.js";
import { listCredentials } from "./list-credentials.js";
import { CredentialView, ProviderParam, SetCredentialBody } from "./schemas.js";
import { setCredential } from "./set-credential.js";

const tags = ["Provider credentials"];
const security = bearer;

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "Which providers the caller has a credential for (never the secrets)",
  security,
  responses: {
    200: json(z.object({ items: z.array(CredentialView) }), "The providers with a credential."),
    ...problems(401, 403, 429),
  },
});

const setRoute = createRoute({
  method: "put",
  path: "/{provider}",
  tags,
  summary: "Store or replace the caller's credential for a provider",
  description:
    "The key is encrypted at rest with the deployment's key encryption key, and never returned or logged.",
  security,
  middleware: [requireJson],
  request: { params: ProviderParam, ...jsonBody(SetCredentialBody) },
  responses: {
    200: json(CredentialView, "Replaced."),
    201: json(CredentialView, "Stored."),
    ...problems(400, 401, 403, 413, 429),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{provider}",
  tags,
  summary: "Forget the caller's credential for a provider",
  security,
  request: { params: ProviderParam },
  responses: { 204: { description: "Forgotten." }, ...problems(400, 401, 403, 404, 429) },
});

/** Per-account provider credentials; mounted behind authentication. */
export function credentialRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(listRoute, async (c) =>
    c.json(await listCredentials({ ctx, principal: c.get("principal") }), 200),
  );
  app.openapi(setRoute, async (c) => {
    const { created, credential } = await setCredential({
      ctx,
      principal: c.get("principal"),
      provider: c.req.valid("param").provider,
      input: c.req.valid("json"),
    });
    return created ? c.json(credential, 201) : c.json(credential, 200);
  });
  app.openapi(deleteRoute, async (c) => {
    await deleteCredential({ ctx, principal: c.get("principal"), provider: c.req.valid("param").provider });
    return c.body(null, 204);
  });
  return app;
}
