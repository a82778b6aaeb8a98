import { PROVIDERS } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

const ProviderName = z.enum(PROVIDERS);

export const ServedProviderView = z
  .object({
    provider: ProviderName,
    models: z
      .array(z.string())
      .nullable()
      .openapi({
        description:
          "The models named for it, sorted; null when some executor (or the caller's own key) takes any model.",
        example: ["llama3.1", "qwen2.5"],
      }),
    executors: z.number().int().openapi({ description: "Live executors that serve it." }),
    via: z.array(z.enum(["executor", "account"])).openapi({
      description: "`executor`: an executor's own configuration; `account`: the caller's stored credential.",
    }),
  })
  .openapi("ServedProvider");

export const ProviderCatalogView = z
  .object({
    executors: z.number().int().openapi({ description: "Live executors that reported what they serve." }),
    providers: z.array(ServedProviderView),
    accountCredentials: z.array(ProviderName).openapi({
      description: "Providers the caller's account has a stored credential for (`/v1/provider-credentials`).",
    }),
    acceptsAccountCredentials: z.array(ProviderName).openapi({
      description:
        "Providers some live executor answers with an agent owner's own stored key (for `openai-compatible`, at the executor's endpoint).",
    }),
  })
  .openapi("ProviderCatalog");
