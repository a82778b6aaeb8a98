import {
  assertProvisioned,
  jetstream,
  type NatsConnection,
  type RunningConsumer,
  runConsumer,
} from "@conclave/bus";
import type { Db } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { AppMetrics } from "@conclave/metrics";
import type { Service } from "@conclave/runtime";
import { type AnyConvEnvelope, CONSUMERS, isConvEvent, names as namesOf } from "@conclave/subjects";
import type { RecorderConfig } from "./config.js";
import { dataExceptionOf } from "./data-exception.js";
import { createGroupCommit } from "./group-commit.js";
import { recordEvents } from "./record-event.js";
import { createRetention } from "./retention/retention.js";
import { createSweeper } from "./retention/sweeper.js";

export interface RecorderDeps {
  config: Pick<
    RecorderConfig,
    | "CONCLAVE_NS"
    | "NATS_ACK_WAIT_MS"
    | "RECORDER_CONCURRENCY"
    | "FAULT_CRASH_BEFORE_ACK"
    | "RETENTION_INTERVAL_MS"
  >;
  nc: NatsConnection;
  db: Db;
  log: Logger;
  /** Where its consumer's series go (served on its ops port). */
  metrics?: AppMetrics | undefined;
}

/** The recorder: projects every conversation event into PostgreSQL, acking after commit, and sweeps retention. */
export function createRecorder(deps: RecorderDeps): Service {
  const { config, nc, db, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  let running: RunningConsumer | undefined;
  const sweeper = createSweeper({
    retention: createRetention({ db, nc, names, log: log.child({ part: "retention" }) }),
    intervalMs: config.RETENTION_INTERVAL_MS,
    log,
  });
  // Events delivered while a transaction runs are recorded together in the next one; each is acked
  // after the commit that holds it.
  const record = createGroupCommit({
    maxBatch: config.RECORDER_CONCURRENCY,
    commit: (batch: { event: AnyConvEnvelope; seq: number }[]) => recordEvents(db, batch),
  });
  return {
    async start() {
      await assertProvisioned(nc, names, "recorder", { log, ackWaitMs: config.NATS_ACK_WAIT_MS });
      running = await runConsumer({
        js: jetstream(nc),
        names,
        log,
        stream: names.stream("conv"),
        consumer: CONSUMERS.recorder,
        concurrency: config.RECORDER_CONCURRENCY,
        failpoint: config.FAULT_CRASH_BEFORE_ACK,
        workingEveryMs: config.NATS_ACK_WAIT_MS / 3,
        metrics: deps.metrics?.consumers,
        handle: async (e, meta) => {
          if (!isConvEvent(e))
            throw new AppError("permanent", `${e.type} does not belong on the conversation stream`);
          let fresh: boolean;
          try {
            fresh = await record({ event: e, seq: meta.seq });
          } catch (err) {
            const data = dataExceptionOf(err);
            if (!data) throw err;
            throw new AppError(
              "permanent",
              `the event's data cannot be stored (${data.code}): ${data.message}`,
              {
                cause: err,
              },
            );
          }
          if (!fresh) meta.log.info("already recorded; skipped");
        },
      });
      sweeper.start();
      log.info({ ns: names.ns }, "recorder started");
    },
    async stop() {
      await sweeper.stop();
      await running?.stop();
    },
  };
}
export { loadConfig } from "./config.js";
// The projection itself, for `conclave projections rebuild` (which replays the stream through it).
export { dataExceptionOf } from "./data-exception.js";
export { recordEvents } from "./record-event.js";
// Retention, for `conclave retention run` (the recorder sweeps it periodically too).
export {
  createRetention,
  type GroupRetention,
  RETAINED_TABLES,
  type RetainedTable,
  type Retention,
  type RetentionOptions,
  type RetentionReport,
} from "./retention/retention.js";
