import { loggableError } from "@conclave/errors";
import { type DestinationStream, type Logger, pino } from "pino";
import { contextFields } from "./context.js";

export { contextFields, type LogFields, withLogFields } from "./context.js";
export type { Logger };

/** Paths that never reach a log line. */
const REDACT = [
  "password",
  "*.password",
  "token",
  "*.token",
  "accessToken",
  "refreshToken",
  "*.accessToken",
  "*.refreshToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "apiKey",
  "*.apiKey",
];

/**
 * `err` is written through the errors lib's allowlist, so no log line carries a failed query's
 * values; a string (someone's `e.message`) loses drizzle's `params:` tail as well.
 */
function serializeErr(err: unknown): unknown {
  if (typeof err === "string") return err.replace(/\nparams: [\s\S]*$/, "");
  return loggableError(err);
}

/** The root logger of an app: JSON lines on stdout, bound to the app's name, secrets redacted. */
export function createLogger(options: {
  app: string;
  level?: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      name: options.app,
      level: options.level ?? "info",
      redact: { paths: REDACT, censor: "[redacted]" },
      serializers: { err: serializeErr, cause: serializeErr },
      base: { app: options.app },
      // The trace, span and request a line was written under; a line's own fields win.
      mixin: contextFields,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? process.stdout,
  );
}
