import {
  assertProvisioned,
  dispatchTo,
  type HandlerMap,
  jetstream,
  jetstreamManager,
  Kvm,
  type NatsConnection,
  type RunningConsumer,
  runConsumer,
} from "@conclave/bus";
import type { Db } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { createMemoryStore } from "@conclave/memory";
import { type AppMetrics, createAppMetrics } from "@conclave/metrics";
import type { Service } from "@conclave/runtime";
import { CONSUMERS, type ConvEventType, names as namesOf } from "@conclave/subjects";
import type { OrchestratorConfig } from "./config.js";
import { createStrategyRunner } from "./graphs/runner.js";
import { bucketCheckpoints } from "./graphs/step-checkpoints.js";
import { kvTurnMemories } from "./graphs/turn-memories.js";
import { turnMetrics } from "./metrics.js";
import { createRememberTurns } from "./turns/remember-turns.js";
import { createTurnEngine } from "./turns/turn-engine.js";
import { createTurnStore } from "./turns/turn-store.js";

export interface OrchestratorDeps {
  config: Pick<
    OrchestratorConfig,
    | "CONCLAVE_NS"
    | "NATS_ACK_WAIT_MS"
    | "TURN_TIMEOUT_MS"
    | "TURN_MAX_TOOL_STEPS"
    | "TURN_MAX_AGENT_STEPS"
    | "VOTE_DEADLINE_MS"
    | "ORCHESTRATOR_CONCURRENCY"
    | "FAULT_CRASH_BEFORE_ACK"
    | "MEMORY_SUMMARIZER"
  >;
  nc: NatsConnection;
  db: Db;
  log: Logger;
  /** Where its series go (served on its ops port); a private registry otherwise. */
  metrics?: AppMetrics | undefined;
}

/** The orchestrator: consumes conversation events and runs each group's turns. */
export function createOrchestrator(deps: OrchestratorDeps): Service {
  const { config, nc, db, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  const running: RunningConsumer[] = [];
  const metrics = deps.metrics ?? createAppMetrics("orchestrator", { defaults: false });
  const observe = turnMetrics(metrics);

  return {
    async start() {
      await assertProvisioned(nc, names, "orchestrator", { log, ackWaitMs: config.NATS_ACK_WAIT_MS });
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const kvm = new Kvm(nc);
      const [kv, checkpoints, inflight, memoryKv] = await Promise.all([
        kvm.open(names.bucket("turns")),
        kvm.open(names.bucket("checkpoints")),
        kvm.open(names.bucket("inflight")),
        kvm.open(names.bucket("memory")),
      ]);
      const memory = createMemoryStore({ kv: memoryKv, js, names });
      // A published outbox may stay in a running turn's state for half the shortest duplicate
      // window of the streams it publishes to (see createTurnStore).
      const windowsMs = await Promise.all(
        (["conv", "work"] as const).map(
          async (s) => (await jsm.streams.info(names.stream(s))).config.duplicate_window / 1e6,
        ),
      );
      const store = createTurnStore({
        kv,
        js,
        names,
        log,
        lingerMs: Math.min(...windowsMs) / 2,
        remember: createRememberTurns({ memory, js, names, log }),
        observe,
      });
      const engine = createTurnEngine({
        store,
        jsm,
        db,
        names,
        runner: createStrategyRunner({
          memories: kvTurnMemories(checkpoints, async (thread) => {
            const bucket = names.bucket("checkpoints");
            await jsm.streams.purge(`KV_${bucket}`, { filter: `$KV.${bucket}.${thread}.>` });
          }),
          older: bucketCheckpoints(checkpoints),
        }),
        memory,
        defaultSummarizer: config.MEMORY_SUMMARIZER,
        inflight,
        log,
        defaults: {
          turnTimeoutMs: config.TURN_TIMEOUT_MS,
          maxAgentSteps: config.TURN_MAX_AGENT_STEPS,
          voteDeadlineMs: config.VOTE_DEADLINE_MS,
        },
        maxToolSteps: config.TURN_MAX_TOOL_STEPS,
      });
      const ignore = async () => undefined;
      const handlers: HandlerMap<ConvEventType> = {
        "message.posted": (e, meta) => engine.onMessagePosted(e, meta.seq),
        "agent.replied": (e, meta) => engine.onAgentSettled(e, meta.seq),
        "agent.failed": (e, meta) => engine.onAgentSettled(e, meta.seq),
        "memory.summarized": (e) => engine.onMemorySummarized(e),
        "memory.reset": (e, meta) => engine.onMemoryReset(e, meta.seq),
        "memory.updated": ignore,
        "agent.tool_requested": (e) => engine.onToolRequested(e),
        "tool.completed": (e) => engine.onToolCompleted(e),
        "tool.approval_requested": (e) => engine.onApprovalRequested(e),
        "tool.approved": (e) => engine.onToolDecided(e),
        "tool.denied": (e) => engine.onToolDecided(e),
        "turn.cancel_requested": (e) => engine.onCancelRequested(e),
        "turn.started": ignore,
        "speaker.selected": ignore,
        "guard.triggered": ignore,
        "vote.opened": ignore,
        "vote.cast": ignore,
        "vote.closed": ignore,
        "consensus.reached": ignore,
        "consensus.failed": ignore,
        "turn.completed": ignore,
        "turn.failed": ignore,
        // The refused call's `agent.failed` (reason `budget`) settles its ask and ends the turn.
        "budget.exceeded": ignore,
        "budget.warning": ignore,
      };
      // A fork's copies are history: their turns ran in the original group, and the fork's memory
      // is written with them (the edge's forkGroup), so nothing here acts on them.
      const dispatch = dispatchTo(handlers);
      // Over half of a turn's events are the orchestrator's own announcements (turn.started,
      // speaker.selected, turn.completed…): acked unread rather than parsed only to be ignored.
      const ignored = new Set(
        Object.entries(handlers)
          .filter(([, h]) => h === ignore)
          .map(([type]) => type),
      );
      const passOver = (subject: string) => {
        const type = names.convTypeOf(subject);
        return type !== null && ignored.has(type);
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
          metrics: metrics.consumers,
          passOver,
          handle: (e, meta) => (e.forkedFrom ? ignore() : dispatch(e, meta)),
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
          metrics: metrics.consumers,
          handle: async (e) => {
            if (e.type !== "work.timer") throw new AppError("permanent", `${e.type} is not a timer`);
            const dueIn = Date.parse(e.payload.dueAt) - Date.now();
            if (dueIn > 0) return { retryInMs: dueIn };
            if (!e.turnId) return;
            if (e.payload.kind === "vote.deadline" && e.payload.voteId) {
              await engine.onVoteDeadline(e.groupId, e.turnId, e.payload.voteId);
            } else await engine.onDeadline(e.groupId, e.turnId);
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
