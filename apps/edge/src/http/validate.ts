import { AppError } from "@conclave/errors";
import type { Context } from "hono";
import type { z } from "zod";

function issues(error: z.ZodError, prefix: string) {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path].filter((p) => p !== "").join("."),
    message: i.message,
  }));
}

/** Parses a JSON body against a schema; every failing field is listed, and nothing runs on failure. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new AppError("validation", "body must be application/json", {
      fields: [{ path: "content-type", message: "expected application/json" }],
    });
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (e) {
    if (e instanceof Error && e.name === "BodyLimitError") throw e;
    throw new AppError("validation", "body is not valid JSON", {
      fields: [{ path: "body", message: "invalid JSON" }],
    });
  }
  const result = schema.safeParse(raw);
  if (!result.success)
    throw new AppError("validation", "request body is invalid", { fields: issues(result.error, "body") });
  return result.data;
}

/** Parses path or query parameters; failures name the parameter. */
export function params<S extends z.ZodType>(
  input: unknown,
  schema: S,
  where: "path" | "query" | "header",
): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new AppError("validation", `invalid ${where} parameter`, { fields: issues(result.error, where) });
  return result.data;
}
