import { AppError, type FieldIssue } from "@conclave/errors";
import type { Hook } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { EdgeEnv } from "./env.js";

/** Where a request part is named in problem details: `body.x`, `path.groupId`, `query.limit`, `header.x`. */
const PREFIX: Record<string, string> = { json: "body", param: "path", query: "query", header: "header" };

/** Every issue of a zod error, each named by its path under `prefix`. */
export function issues(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((p) => p !== "").join("."),
    message: i.message,
  }));
}

/** The routers' validation hook: a failing request part becomes a 400 problem listing every failing field. */
export const validationHook: Hook<unknown, EdgeEnv, string, void> = (result) => {
  if (result.success) return;
  const prefix = PREFIX[result.target] ?? result.target;
  const what = prefix === "body" ? "request body is invalid" : `invalid ${prefix} parameter`;
  throw new AppError("validation", what, { fields: issues(result.error, prefix) });
};

const JSON_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * Runs before a route's body validator: a body that is not JSON, or not parseable, is named as such
 * (`content-type`, `body`) rather than as missing fields. The parsed body is cached for the validator.
 */
export const requireJson: MiddlewareHandler<EdgeEnv> = async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (!JSON_TYPE.test(type)) {
    throw new AppError("validation", "body must be application/json", {
      fields: [{ path: "content-type", message: "expected application/json" }],
    });
  }
  try {
    await c.req.json();
  } catch (e) {
    if (e instanceof Error && e.name === "BodyLimitError") throw e;
    throw new AppError("validation", "body is not valid JSON", {
      fields: [{ path: "body", message: "invalid JSON" }],
    });
  }
  await next();
};

/** Parses values against a schema outside a route's validators; failures name the part. */
export function params<S extends z.ZodType>(
  input: unknown,
  schema: S,
  where: "path" | "query" | "header" | "body",
): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new AppError("validation", `invalid ${where}`, { fields: issues(result.error, where) });
  return result.data;
}
