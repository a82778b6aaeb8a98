import { isStorableText, PROVIDERS, text, UNSTORABLE_MESSAGE } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

/** Providers that take a credential (the scripted one runs offline). */
export const KeyedProvider = z.enum(PROVIDERS).exclude(["scripted"]);

export const ProviderParam = z.object({ provider: KeyedProvider });

export const SetCredentialBody = z
  .strictObject({
    apiKey: text().min(8).max(4096).openapi({ description: "Stored encrypted; never returned or logged." }),
    baseUrl: z
      .url({ protocol: /^https?$/, message: "an http(s) URL" })
      .max(2000)
      // A URL's path may hold a raw NUL, which the stored row cannot.
      .refine(isStorableText, UNSTORABLE_MESSAGE)
      .nullable()
      .default(null)
      .openapi({
        description: "The provider's endpoint, when not its public one (e.g. an OpenAI-compatible server).",
      }),
  })
  .openapi("SetProviderCredential");
export type SetCredentialBody = z.infer<typeof SetCredentialBody>;

export const CredentialView = z
  .object({
    provider: z.string(),
    baseUrl: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ProviderCredential", {
    description: "Which provider has a credential; the secret itself is never shown.",
  });
export type CredentialView = z.infer<typeof CredentialView>;
