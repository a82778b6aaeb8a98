import { normalizeOrigin } from "@conclave/auth";
import { text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";
import { GroupIdParam } from "../groups/schemas.js";

const HexColour = z
  .string()
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "must be a hex colour such as #4f46e5")
  .transform((v) => v.toLowerCase());

/** How the widget looks; each field has a default in the script. */
export const WidgetThemeBody = z
  .strictObject({
    title: text().trim().min(1).max(60).optional(),
    greeting: text().trim().min(1).max(280).optional(),
    primary: HexColour.optional(),
    position: z.enum(["bottom-right", "bottom-left"]).optional(),
  })
  .openapi("WidgetTheme");
export type WidgetThemeBody = z.infer<typeof WidgetThemeBody>;

const Origin = text()
  .max(300)
  .refine(
    (v) => normalizeOrigin(v) !== undefined,
    "must be an origin: http(s)://host[:port], with no path, query or fragment",
  )
  .transform((v) => normalizeOrigin(v) ?? v)
  .openapi({ example: "https://shop.example" });

export const CreateWidgetKeyBody = z
  .strictObject({
    name: text().trim().min(1).max(100),
    origins: z.array(Origin).min(1).max(20),
    theme: WidgetThemeBody.optional(),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
  })
  .openapi("CreateWidgetKey");
export type CreateWidgetKeyBody = z.infer<typeof CreateWidgetKeyBody>;

export const WidgetKeyParams = GroupIdParam.extend({ keyId: z.uuid("must be a UUID") });

export const WidgetKeyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    groupId: z.uuid(),
    origins: z.array(z.string()),
    theme: WidgetThemeBody,
    rateLimitPerMinute: z.number().int().nullable(),
    lastUsedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("WidgetKey");

export const EmbedView = z
  .object({
    html: z.string().openapi({ description: "The script tag to paste into a page, before `</body>`." }),
    keyPlaceholder: z.string().nullable().openapi({
      description:
        "Where the key goes in `html` when it is not filled in (the secret is shown only at creation): null when `html` holds the key.",
    }),
  })
  .openapi("WidgetEmbed");

export const CreatedWidgetKeyView = WidgetKeyView.extend({
  key: z.string().openapi({ description: "The secret: shown this once, stored hashed." }),
  embed: EmbedView,
}).openapi("CreatedWidgetKey");
