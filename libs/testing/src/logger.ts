import { createLogger, type Logger } from "@conclave/log";

/** A logger for in-process apps under test: warnings and worse only. */
export function quietLogger(app = "test"): Logger {
  return createLogger({ app, level: "warn" });
}

/** A logger that keeps its lines in memory, for tests that assert what an app logged. */
export function capturingLogger(app = "test", level = "info"): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ app, level, destination: { write: (line: string) => void lines.push(line) } });
  return { log, lines };
}
