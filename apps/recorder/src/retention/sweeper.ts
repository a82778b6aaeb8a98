import { describeError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { Retention, RetentionReport } from "./retention.js";

/** The first sweep comes this soon after start (or one interval, if shorter), so restarts do not starve it. */
const FIRST_SWEEP_MS = 60_000;

export interface Sweeper {
  start(): void;
  /** Lets a sweep under way finish the group it is at, waits for it, and schedules no more. */
  stop(): Promise<void>;
}

/**
 * Runs retention every `intervalMs` (± 10 %, so replicas drift apart; 0: never). Replicas need no
 * lease: every step of a sweep is idempotent, so two at once end where one would.
 */
export function createSweeper(deps: {
  retention: Retention;
  intervalMs: number;
  log: Logger;
  onSweep?: (report: RetentionReport) => void;
}): Sweeper {
  const { retention, intervalMs, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  let stopped = false;
  const stopping = new AbortController();
  const jittered = (ms: number) => Math.round(ms * (0.9 + Math.random() * 0.2));
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      sweeping = sweep().finally(() => {
        sweeping = undefined;
        schedule(jittered(intervalMs));
      });
    }, ms);
    timer.unref();
  };
  const sweep = async () => {
    try {
      const report = await retention.run({ signal: stopping.signal });
      const removed = report.groups.reduce((n, g) => n + g.rows.events, 0);
      log.info({ groups: report.groups.length, events: removed, ms: report.ms }, "retention sweep done");
      deps.onSweep?.(report);
    } catch (err) {
      log.warn({ err: describeError(err) }, "retention sweep failed; the next one picks up");
    }
  };
  return {
    start() {
      if (intervalMs <= 0) {
        log.info("retention sweeps off (RETENTION_INTERVAL_MS=0)");
        return;
      }
      schedule(jittered(Math.min(FIRST_SWEEP_MS, intervalMs)));
    },
    async stop() {
      stopped = true;
      stopping.abort();
      clearTimeout(timer);
      await sweeping;
    },
  };
}
