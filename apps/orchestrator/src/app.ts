import {
  dispatchTo,
  type HandlerMap,
  jetstream,
  jetstreamManager,
  Kvm,
  type NatsConnection,
  provision,
  type RunningConsumer,
  runConsumer,
} from "@conclave/bus";
import type { Db } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { Service } from "@conclave/runtime";
import { CONSUMERS, type ConvEventType, names as namesOf } from "@conclave/subjects";
import type { OrchestratorConfig } from "./config.js";
import { createTurnEngine } from "./turns/turn-engine.js";
import { createTurnStore } from "./turns/turn-store.js";

export interface OrchestratorDeps {
  config: Pick<
    OrchestratorConfig,
    | "CONCLAVE_NS"
    | "NATS_ACK_WAIT_MS"
    | "NATS_STREAM_REPLICAS"
    | "TURN_TIMEOUT_MS"
    | "TURN_MAX_TOOL_STEPS"
    | "ORCHESTRATOR_CONCURRENCY"
    | "FAULT_CRASH_BEFORE_ACK"
  >;
  nc: NatsConnection;
  db: Db;
  log: Logger;
}

/** The orchestrator: consumes conversation events and runs each group's turns. */
export function createOrchestrator(deps: OrchestratorDeps): Service {
  const { config, nc, db, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  const running: RunningConsumer[] = [];

  return {
    async start() {
      await provision(nc, names, {
        ackWaitMs: config.NATS_ACK_WAIT_MS,
        replicas: config.NATS_STREAM_REPLICAS,
      });
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const kv = await new Kvm(nc).open(names.bucket("turns"));
      const store = createTurnStore({ kv, js, names, log });
      const engine = createTurnEngine({
        store,
        jsm,
        db,
        names,
        turnTimeoutMs: config.TURN_TIMEOUT_MS,
        maxToolSteps: config.TURN_MAX_TOOL_STEPS,
      });
      const ignore = async () => undefined;
      const handlers: HandlerMap<ConvEventType> = {
        "message.posted": (e, meta) => engine.onMessagePosted(e.groupId, meta.seq),
        "agent.replied": (e) => engine.onAgentSettled(e),
        "agent.failed": (e) => engine.onAgentSettled(e),
        "agent.tool_requested": (e) => engine.onToolRequested(e),
        "tool.completed": (e) => engine.onToolCompleted(e),
        "tool.approval_requested": (e) => engine.onApprovalRequested(e),
        "tool.approved": (e) => engine.onToolDecided(e),
        "tool.denied": (e) => engine.onToolDecided(e),
        "turn.started": ignore,
        "turn.completed": ignore,
        "turn.failed": ignore,
      };
      running.push(
        await runConsumer({
          js,
          names,
          log,
          stream: names.stream("conv"),
          consumer: CONSUMERS.orchestrator,
          concurrency: config.ORCHESTRATOR_CONCURRENCY,
          failpoint: config.FAULT_CRASH_BEFORE_ACK,
          workingEveryMs: config.NATS_ACK_WAIT_MS / 3,
          handle: dispatchTo(handlers),
        }),
      );
      running.push(
        await runConsumer({
          js,
          names,
          log,
          stream: names.stream("work"),
          consumer: CONSUMERS.orchestratorTimers,
          concurrency: 256,
          handle: async (e) => {
            if (e.type !== "work.timer") throw new AppError("permanent", `${e.type} is not a timer`);
            const dueIn = Date.parse(e.payload.dueAt) - Date.now();
            if (dueIn > 0) return { retryInMs: dueIn };
            if (e.turnId) await engine.onDeadline(e.groupId, e.turnId);
          },
        }),
      );
      log.info({ ns: names.ns }, "orchestrator started");
    },
    async stop() {
      await Promise.all(running.splice(0).map((c) => c.stop()));
    },
  };
}
export { loadConfig } from "./config.js";
