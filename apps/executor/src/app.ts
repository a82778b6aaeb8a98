import { createCredentialBox } from "@conclave/auth";
import {
  assertProvisioned,
  dispatchTo,
  jetstream,
  Kvm,
  type NatsConnection,
  PROVISION_DEFAULTS,
  type RunningConsumer,
  runConsumer,
} from "@conclave/bus";
import type { Db } from "@conclave/db";
import type { Logger } from "@conclave/log";
import { createMemoryStore } from "@conclave/memory";
import { type AppMetrics, createAppMetrics, type HealthCheck } from "@conclave/metrics";
import type { Service } from "@conclave/runtime";
import { CONSUMERS, type Envelope, names as namesOf } from "@conclave/subjects";
import { createProviderResolver, type ProviderResolver } from "./account-providers.js";
import { watchBudgetChanges } from "./budget-changes.js";
import { createBudgetGate } from "./budget-gate.js";
import type { ExecutorConfig } from "./config.js";
import { createDatasetStore } from "./dataset-store.js";
import { createDeltaPublisher } from "./delta-publisher.js";
import { createFairAdmission } from "./fair-admission.js";
import { executorHealth } from "./health.js";
import { createHistoryStore } from "./history-store.js";
import { createLlmCallLog } from "./llm-call-log.js";
import { createMemoryBlocks } from "./memory-blocks.js";
import { executorMetrics } from "./metrics.js";
import { advertiseOffer, describeOffer, type OfferConfig } from "./offer.js";
import { createPriceBook } from "./price-book.js";
import { buildProviders, type ProviderConfig, type ProviderSet } from "./providers.js";
import { runLlmCall } from "./run-llm-call.js";
import { runToolCall } from "./run-tool-call.js";
import { buildTools, type ToolsConfig } from "./tools.js";

export interface ExecutorDeps {
  config: Pick<
    ExecutorConfig,
    | "CONCLAVE_NS"
    | "NATS_ACK_WAIT_MS"
    | "EXECUTOR_CONCURRENCY"
    | "EXECUTOR_TOOL_CONCURRENCY"
    | "EXECUTOR_ACCOUNT_SHARE"
    | "LLM_TIMEOUT_MS"
    | "LLM_MAX_ATTEMPTS"
    | "FAULT_CRASH_BEFORE_ACK"
    | "KEY_ENCRYPTION_KEY"
    | "EXECUTOR_CREDENTIALS_CACHE_MS"
    | "BUDGET_RESERVATION_TTL_MS"
    | "BUDGET_UNCOVERED_CACHE_MS"
    | "BUDGET_DEFAULT_MAX_OUTPUT_TOKENS"
    | "PRICES_CACHE_MS"
    | "PRICE_CURRENCY"
    | "DELTA_WINDOW_MS"
  > &
    ProviderConfig &
    OfferConfig &
    ToolsConfig;
  nc: NatsConnection;
  log: Logger;
  /**
   * Where accounts' provider credentials are read and `search_history` searches; without it only the
   * executor's own keys are used and that tool is not offered.
   */
  db?: Db | undefined;
  /** Where its series go (served on its ops port); a private registry otherwise. */
  metrics?: AppMetrics | undefined;
}

/**
 * The executor pool member: runs `work.llm` items (streaming their deltas, emitting each agent's
 * answer or tool request) and `work.tool` items (through the ledger, so a side effect happens once).
 */
export interface Executor extends Service {
  /** Its own health checks (the providers) and detailed view (circuits, work in flight). */
  health: { checks: HealthCheck[]; extra: () => Record<string, unknown> };
}

export function createExecutor(deps: ExecutorDeps): Executor {
  const { config, nc, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  const running: RunningConsumer[] = [];
  let budgetNotices: { stop(): void } | undefined;
  let offer: { stop(): Promise<void> } | undefined;
  let providerSet: ProviderSet | undefined;
  const metrics = deps.metrics ?? createAppMetrics("executor", { defaults: false });
  const observe = executorMetrics(metrics, () => providerSet);
  return {
    health: executorHealth({
      providers: () => providerSet,
      inFlight: () => running.reduce((n, c) => n + c.inFlight, 0),
    }),
    async start() {
      await assertProvisioned(nc, names, "executor", { log, ackWaitMs: config.NATS_ACK_WAIT_MS });
      const js = jetstream(nc);
      const providers = buildProviders(config);
      providerSet = providers;
      const resolver: ProviderResolver = deps.db
        ? createProviderResolver({
            db: deps.db,
            box: createCredentialBox(config.KEY_ENCRYPTION_KEY),
            set: providers,
            resilience: providers.resilience,
            fallbacks: providers.fallbacks,
            gracefulReply: config.LLM_GRACEFUL_REPLY,
            cacheMs: config.EXECUTOR_CREDENTIALS_CACHE_MS,
            baseUrls: {
              anthropic: config.ANTHROPIC_BASE_URL,
              gemini: config.GEMINI_BASE_URL,
              "openai-compatible": config.OPENAI_COMPAT_BASE_URL,
            },
          })
        : { forAgent: async (agent) => providers.byAgentProvider.get(agent.provider) };
      const kvm = new Kvm(nc);
      const [ledger, memoryKv, executorsKv] = await Promise.all([
        kvm.open(names.bucket("toolLedger")),
        kvm.open(names.bucket("memory")),
        kvm.open(names.bucket("executors")),
      ]);
      const tools = buildTools(config, {
        datasets: createDatasetStore({ nc, bucket: names.bucket("files") }),
        // Without a database there is no history to search: the tool is not offered.
        ...(deps.db ? { history: createHistoryStore(deps.db) } : {}),
        memory: createMemoryBlocks(createMemoryStore({ kv: memoryKv, js, names })),
      });
      const budgets = deps.db
        ? createBudgetGate(deps.db, {
            reservationTtlMs: config.BUDGET_RESERVATION_TTL_MS,
            currency: config.PRICE_CURRENCY,
            uncoveredTtlMs: config.BUDGET_UNCOVERED_CACHE_MS,
          })
        : undefined;
      if (budgets) budgetNotices = await watchBudgetChanges({ nc, names, log, forget: budgets.forget });
      const deltas = createDeltaPublisher(nc, names, { windowMs: config.DELTA_WINDOW_MS });
      const llmDeps = {
        js,
        names,
        resolve: resolver.forAgent,
        deltas,
        tools,
        timeoutMs: config.LLM_TIMEOUT_MS,
        maxAttempts: config.LLM_MAX_ATTEMPTS,
        calls: deps.db ? createLlmCallLog(deps.db, log) : undefined,
        observe: observe.llmCall,
        prices: deps.db ? createPriceBook(deps.db, config.PRICES_CACHE_MS) : undefined,
        budgets,
        defaultMaxOutputTokens: config.BUDGET_DEFAULT_MAX_OUTPUT_TOKENS,
      };
      const common = {
        js,
        names,
        log,
        stream: names.stream("work"),
        failpoint: config.FAULT_CRASH_BEFORE_ACK,
        workingEveryMs: config.NATS_ACK_WAIT_MS / 3,
        metrics: metrics.consumers,
      };
      // Half the deliveries stay for real failures: deferring for fairness never dead-letters an item.
      const fairness = {
        share: config.EXECUTOR_ACCOUNT_SHARE,
        deferUntilDelivery: PROVISION_DEFAULTS.maxDeliver / 2,
      };
      const llmSlots = createFairAdmission({ ...fairness, slots: config.EXECUTOR_CONCURRENCY });
      const toolSlots = createFairAdmission({ ...fairness, slots: config.EXECUTOR_TOOL_CONCURRENCY });
      running.push(
        await runConsumer({
          ...common,
          consumer: CONSUMERS.executorLlm,
          concurrency: llmSlots.window,
          handle: dispatchTo({
            "work.llm": llmSlots.admit(accountOf, (e, meta) => runLlmCall(llmDeps, e, meta)),
          }),
        }),
        await runConsumer({
          ...common,
          consumer: CONSUMERS.executorTool,
          concurrency: toolSlots.window,
          handle: dispatchTo({
            "work.tool": toolSlots.admit(accountOf, (e, meta) =>
              runToolCall({ js, names, tools, ledger, observe: observe.toolRun }, e, meta),
            ),
          }),
        }),
      );
      // Last: what it advertises, it is ready to serve.
      const offered = describeOffer(config, providers, deps.db !== undefined);
      const advert = await advertiseOffer({ kv: executorsKv, offer: offered, log });
      offer = advert;
      log.info(
        {
          ns: names.ns,
          executorId: advert.executorId,
          providers: [...providers.byAgentProvider.keys()],
          offered: offered.providers,
          fallback: config.LLM_FALLBACK,
          tools: tools.list().map((t) => t.name),
        },
        "executor started",
      );
    },
    async stop() {
      // First: the edge stops counting on it while it drains.
      await offer?.stop();
      budgetNotices?.stop();
      await Promise.all(running.splice(0).map((c) => c.stop()));
    },
  };
}

/** Who a work item is charged to: its agent's owner (snapshots from before owners were recorded: the group). */
function accountOf(e: Envelope<"work.llm" | "work.tool">): string {
  return e.payload.agent.ownerId ?? `group:${e.groupId}`;
}

export { loadConfig } from "./config.js";
