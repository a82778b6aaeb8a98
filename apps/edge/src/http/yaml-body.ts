import { AppError } from "@conclave/errors";
import type { Context } from "hono";
import { parseDocument } from "yaml";

const YAML_OR_JSON = /^(application\/(x-)?yaml|text\/(x-)?yaml|application\/([a-z-.]+\+)?json)(;|$)/i;

/**
 * Reads a YAML (or JSON, which is YAML) request body into plain data. Duplicate keys and alias
 * bombs are refused; syntax errors name the line.
 */
export async function yamlBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!YAML_OR_JSON.test(type)) {
    throw new AppError("validation", "body must be YAML", {
      fields: [{ path: "content-type", message: "expected application/yaml (or application/json)" }],
    });
  }
  let text: string;
  try {
    text = await c.req.text();
  } catch (e) {
    if (e instanceof Error && e.name === "BodyLimitError") throw e;
    throw new AppError("validation", "body could not be read", {
      fields: [{ path: "body", message: "unreadable" }],
    });
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new AppError("validation", "body is not valid YAML", {
      fields: doc.errors.map((e) => ({
        path: "body",
        // The first line says what and where ("... at line 4, column 1"); the rest is a source excerpt.
        message: (e.message.split("\n")[0] ?? e.code).replace(/:$/, ""),
      })),
    });
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new AppError("validation", "body is not valid YAML", {
      fields: [{ path: "body", message: e instanceof Error ? e.message : "unreadable" }],
    });
  }
}
