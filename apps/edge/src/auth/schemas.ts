import { PASSWORD_MAX, PASSWORD_MIN, SCOPES } from "@conclave/auth";
import { text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

export const Credentials = z
  .strictObject({
    email: z
      .email("must be an email address")
      .max(254)
      .transform((e) => e.toLowerCase()),
    password: text().min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`).max(PASSWORD_MAX),
  })
  .openapi("Credentials");
export type Credentials = z.infer<typeof Credentials>;

export const RefreshBody = z.strictObject({ refreshToken: text().min(20).max(200) }).openapi("RefreshBody");

export const TokenPairView = z
  .object({
    tokenType: z.literal("Bearer"),
    accessToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "Seconds until the access token expires." }),
    refreshToken: z.string(),
  })
  .openapi("TokenPair");

export const RegisteredView = TokenPairView.extend({
  account: z.object({ id: z.uuid(), email: z.string(), role: z.string() }),
}).openapi("Registered");

export const MeView = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.string(),
    createdAt: z.string(),
    via: z.enum(["token", "api_key"]),
    scopes: z.array(z.enum(SCOPES)),
  })
  .openapi("Me");
