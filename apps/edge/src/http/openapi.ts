import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { EdgeEnv } from "./env.js";
import { validationHook } from "./validate.js";

/** A router of the edge: its routes are in the OpenAPI document, and invalid input is a problem+json 400. */
export function router(): OpenAPIHono<EdgeEnv> {
  return new OpenAPIHono<EdgeEnv>({ defaultHook: validationHook });
}

/** RFC 9457 problem details, as every error is answered. */
export const Problem = z
  .object({
    type: z.string().openapi({ example: "https://conclave.dev/problems/validation" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ example: "body.name" }),
          message: z.string(),
        }),
      )
      .optional()
      .openapi({ description: "Every failing field (validation), or the field a conflict is about." }),
  })
  .openapi("Problem");

const WHY = {
  400: "Invalid input; `errors` names every failing field (`body.x`, `path.x`, `query.x`, `header.x`).",
  401: "No valid credential.",
  403: "The credential lacks the scope, or the caller's role forbids it.",
  404: "Not found, or not the caller's (the same answer either way).",
  409: "Conflicts with the current state.",
  413: "The body is over the size limit.",
  422: "Well-formed but refused as a whole (an Idempotency-Key already used for another request; a provider or model no live executor serves, naming the field).",
  429: "Rate limited; see `Retry-After`.",
  503: "A dependency is unreachable; retry later.",
} as const;
type ProblemStatus = keyof typeof WHY;

interface ProblemResponse {
  description: string;
  content: { "application/problem+json": { schema: typeof Problem } };
}

/** The problem+json responses a route may answer with. */
export function problems<const S extends ProblemStatus>(...statuses: S[]): Record<S, ProblemResponse> {
  const responses = {} as Record<S, ProblemResponse>;
  for (const s of statuses)
    responses[s] = { description: WHY[s], content: { "application/problem+json": { schema: Problem } } };
  return responses;
}

/** Routes that take a bearer credential (access token or API key). */
export const bearer = [{ bearer: [] }];

/** A required JSON request body (routes with one put `requireJson` in their middleware). */
export function jsonBody<S extends z.ZodType>(schema: S, description?: string) {
  return {
    body: {
      required: true,
      ...(description ? { description } : {}),
      content: { "application/json": { schema } },
    },
  } as const;
}

/** A JSON response of `schema`. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}
