import { createRoute } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { bearer, json, problems, router } from "../http/openapi.js";
import { listProviders } from "./list-providers.js";
import { ProviderCatalogView } from "./schemas.js";

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["Providers"],
  summary: "The providers and models live executors serve for the caller's agents",
  description:
    "Read from what each running executor advertises (an executor that stops or dies drops out within its offer's lifetime), with the caller's own credentials. Agent create and update refuse (`422`) a provider or model outside it once at least one executor has reported; with none running, nothing is refused.",
  security: bearer,
  responses: {
    200: json(ProviderCatalogView, "What can answer the caller's agents now."),
    ...problems(401, 403, 429, 503),
  },
});

/** The provider catalog; mounted behind authentication. */
export function providerRoutes(ctx: EdgeContext) {
  const app = router();
  app.openapi(listRoute, async (c) =>
    c.json(await listProviders({ ctx, principal: c.get("principal") }), 200),
  );
  return app;
}
