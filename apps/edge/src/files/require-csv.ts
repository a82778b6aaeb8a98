import { AppError } from "@conclave/errors";
import { problemOf } from "@conclave/http";
import type { MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../http/env.js";

const CSV = /^text\/csv\s*(;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;
const UTF8 = new Set(["utf-8", "utf8", "us-ascii"]);

/** Why a Content-Type is not an uploadable CSV, or undefined when it is. */
function refusal(type: string | undefined): string | undefined {
  if (!type || !CSV.test(type.trim())) return "expected text/csv";
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  return charset === undefined || UTF8.has(charset) ? undefined : "the charset must be utf-8";
}

/**
 * Runs before an upload's body is read: anything but UTF-8 `text/csv` is a 415 naming the header.
 * (Errors thrown reach the edge's one handler, which has no 415; this status is answered here.)
 */
export const requireCsv: MiddlewareHandler<EdgeEnv> = async (c, next) => {
  const why = refusal(c.req.header("content-type"));
  if (why === undefined) return next();
  const problem = {
    ...problemOf(
      new AppError("validation", "the body must be CSV (text/csv, UTF-8)", {
        fields: [{ path: "header.content-type", message: why }],
      }),
    ),
    type: "https://conclave.dev/problems/unsupported-media-type",
    title: "unsupported media type",
    status: 415,
  };
  return c.body(JSON.stringify(problem), 415, { "content-type": "application/problem+json" });
};
