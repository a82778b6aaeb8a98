import { createLogger, type Logger } from "@conclave/log";

/** A logger for in-process apps under test: warnings and worse only. */
export function quietLogger(app = "test"): Logger {
  return createLogger({ app, level: "warn" });
}
