import type { Logger } from "@conclave/log";

/** Something that runs until stopped: an app, or several composed by the launcher. */
export interface Service {
  start(): Promise<void>;
  /** Stops taking work, drains what is in flight, closes connections. */
  stop(): Promise<void>;
}

/**
 * Starts a service and stops it cleanly on SIGTERM or SIGINT (a second signal, a second or more
 * after the first, exits at once).
 * A start failure is logged and exits non-zero.
 */
export async function runUntilSignal(
  service: Service,
  log: Logger,
  options: { drainTimeoutMs?: number } = {},
): Promise<void> {
  let stoppingSince = 0;
  const stop = async (signal: string) => {
    if (stoppingSince) {
      // A terminal's Ctrl-C reaches the whole process group and npm forwards it once more:
      // only a signal well after the first one means "exit now".
      if (Date.now() - stoppingSince < 1000) return;
      log.warn({ signal }, "second signal: exiting now");
      process.exit(130);
    }
    stoppingSince = Date.now();
    log.info({ signal }, "stopping: draining in-flight work");
    const timer = setTimeout(() => {
      log.error("drain timed out; exiting");
      process.exit(1);
    }, options.drainTimeoutMs ?? 15_000);
    timer.unref();
    try {
      await service.stop();
      log.info("stopped");
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, "stop failed");
      process.exit(1);
    }
  };
  // Still fatal, as by default, but said in the app's own log with the whole error first.
  process.on("uncaughtException", (err) => {
    log.fatal({ err }, "uncaught exception; exiting");
    process.exit(1);
  });
  process.on("unhandledRejection", (err) => {
    log.fatal({ err }, "unhandled rejection; exiting");
    process.exit(1);
  });
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  try {
    await service.start();
  } catch (e) {
    log.fatal({ err: e }, "start failed");
    process.exit(1);
  }
}
