import { authEnv, baseEnv, dbEnv, type Env, envFlag, parseConfig, port } from "@conclave/config";
import { z } from "zod";

/** A comma-separated list of model names (empty: none named). */
const modelList = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().max(200)).max(200));

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  /** Opens the provider credentials accounts store (encrypted with it at the edge). */
  KEY_ENCRYPTION_KEY: authEnv.KEY_ENCRYPTION_KEY,
  /** How long an account's provider credential (or its absence) is reused before it is read again. */
  EXECUTOR_CREDENTIALS_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** LLM calls run at once by one executor process. */
  EXECUTOR_CONCURRENCY: z.coerce.number().int().min(1).max(4096).default(256),
  /**
   * The fraction of this process's LLM slots, tool slots and `run_js` sandboxes one account (an
   * agent's owner) may hold at once; at least one. Another account's work never waits behind a flood.
   */
  EXECUTOR_ACCOUNT_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  /** Serves /metrics, /healthz, /readyz and /health/detailed (provider circuits) on this port (0: any free one). */
  EXECUTOR_OPS_PORT: port(9105),
  /** The former name of EXECUTOR_OPS_PORT; when set, it wins. */
  EXECUTOR_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().default("127.0.0.1"),
  /** One LLM call may take at most this long. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(900_000).default(120_000),
  /** After this many failed attempts of one call, the agent's failure is reported to the turn. */
  LLM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(19).default(5),
  /** Provider endpoints and keys; a provider without a key (or base URL) is not offered. */
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  GEMINI_API_KEY: z.string().optional(),
  GEMINI_BASE_URL: z.url().optional(),
  OPENAI_COMPAT_BASE_URL: z.url().optional(),
  OPENAI_COMPAT_API_KEY: z.string().optional(),
  /**
   * The models offered per provider (comma-separated), advertised to the edge: agents naming another
   * model are refused at create and update. Empty: none named, any model may be asked for.
   */
  ANTHROPIC_MODELS: modelList,
  GEMINI_MODELS: modelList,
  OPENAI_COMPAT_MODELS: modelList,
  /** One attempt at a provider may take this long; attempts per call before the next fallback. */
  LLM_ATTEMPT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  LLM_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  /** Consecutive failures that open a provider+model circuit, and how long it stays open. */
  LLM_CIRCUIT_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  LLM_CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Providers tried, in order, when an agent's own provider fails (comma-separated). */
  LLM_FALLBACK: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(["anthropic", "gemini", "openai-compatible"]))),
  /** Tool runs at once by one executor process. */
  EXECUTOR_TOOL_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(32),
  /** Hosts `http_fetch` may reach (comma-separated: host, *.domain, or *); empty: the tool is off. */
  TOOLS_HTTP_ALLOW_HOSTS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  TOOLS_HTTP_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(1024 * 1024),
  TOOLS_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Tools that wait for a person's approval before every run (comma-separated names). */
  TOOLS_REQUIRE_APPROVAL: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  /** Tests only: lets `http_fetch` reach 127.0.0.1. Never set in a deployment. */
  TOOLS_HTTP_ALLOW_LOOPBACK_FOR_TESTS: envFlag,
  /** A Tavily-compatible search API for `web_search`; without a key the tool is off. */
  TAVILY_BASE_URL: z.url().default("https://api.tavily.com"),
  TAVILY_API_KEY: z.string().optional(),
  /** `run_js` sandbox: time per script and QuickJS heap. */
  RUN_JS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  RUN_JS_MEMORY_MB: z.coerce.number().int().min(4).max(512).default(32),
  /**
   * Budgets: a call's reservation lives this long unless settled (a crashed executor's item that is
   * never redelivered gives it back then); keep it above LLM_TIMEOUT_MS times LLM_MAX_ATTEMPTS' worth.
   */
  BUDGET_RESERVATION_TTL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(900_000),
  /**
   * How long "no budget covers this group and account" is reused before asking PostgreSQL again; a
   * budget set through the API ends it at once (a notice on NATS, heard before any later work item),
   * this bounds a lost notice or a budget written into the database by hand. 0: ask every call.
   */
  BUDGET_UNCOVERED_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  /**
   * A call's streamed text goes out as about one token delta per this many ms (its first piece at
   * once): what arrives meanwhile is sent together. 0: one delta per loop turn.
   */
  DELTA_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(20),
  /** The output part of a call's reservation when its agent sets no `maxTokens`. */
  BUDGET_DEFAULT_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(1).max(200_000).default(4096),
  /** How long the executor reuses a model's rows of the price table. */
  PRICES_CACHE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** The currency of money budgets (the price table's rows should be in it). */
  PRICE_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default("USD"),
  /** Answered when every provider of the chain failed (recorded as provider `graceful`); unset: the agent fails. */
  LLM_GRACEFUL_REPLY: z.string().max(2000).optional(),
});

export type ExecutorConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
