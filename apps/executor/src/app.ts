import {
  dispatchTo,
  jetstream,
  type NatsConnection,
  provision,
  type RunningConsumer,
  runConsumer,
} from "@conclave/bus";
import type { Logger } from "@conclave/log";
import type { Service } from "@conclave/runtime";
import { CONSUMERS, names as namesOf, type TokenDelta } from "@conclave/subjects";
import type { ExecutorConfig } from "./config.js";
import { buildProviders, type ProviderConfig } from "./providers.js";
import { runLlmCall } from "./run-llm-call.js";

export interface ExecutorDeps {
  config: Pick<
    ExecutorConfig,
    | "CONCLAVE_NS"
    | "NATS_ACK_WAIT_MS"
    | "NATS_STREAM_REPLICAS"
    | "EXECUTOR_CONCURRENCY"
    | "LLM_TIMEOUT_MS"
    | "LLM_MAX_ATTEMPTS"
    | "FAULT_CRASH_BEFORE_ACK"
  > &
    ProviderConfig;
  nc: NatsConnection;
  log: Logger;
}

/** The executor pool member: runs `work.llm` items, streams their deltas, and emits each agent's outcome. */
export function createExecutor(deps: ExecutorDeps): Service {
  const { config, nc, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  let running: RunningConsumer | undefined;
  return {
    async start() {
      await provision(nc, names, {
        ackWaitMs: config.NATS_ACK_WAIT_MS,
        replicas: config.NATS_STREAM_REPLICAS,
      });
      const js = jetstream(nc);
      const providers = buildProviders(config);
      const publishDelta = (d: TokenDelta) => nc.publish(names.deltaSubject(d.groupId), JSON.stringify(d));
      const callDeps = {
        js,
        names,
        providers: providers.byAgentProvider,
        publishDelta,
        timeoutMs: config.LLM_TIMEOUT_MS,
        maxAttempts: config.LLM_MAX_ATTEMPTS,
      };
      running = await runConsumer({
        js,
        names,
        log,
        stream: names.stream("work"),
        consumer: CONSUMERS.executorLlm,
        concurrency: config.EXECUTOR_CONCURRENCY,
        crashBeforeAckAfter: config.FAULT_CRASH_BEFORE_ACK,
        workingEveryMs: config.NATS_ACK_WAIT_MS / 3,
        handle: dispatchTo({ "work.llm": (e, meta) => runLlmCall(callDeps, e, meta) }),
      });
      log.info(
        { ns: names.ns, providers: [...providers.byAgentProvider.keys()], fallback: config.LLM_FALLBACK },
        "executor started",
      );
    },
    async stop() {
      await running?.stop();
    },
  };
}

export { loadConfig } from "./config.js";
