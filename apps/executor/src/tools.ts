import {
  createBuiltinTools,
  createToolRegistry,
  type DatasetStore,
  type HistoryStore,
  type MemoryBlockStore,
  type ToolRegistry,
} from "@conclave/tools";
import type { ExecutorConfig } from "./config.js";

export type ToolsConfig = Pick<
  ExecutorConfig,
  | "TOOLS_HTTP_ALLOW_HOSTS"
  | "TOOLS_HTTP_MAX_BYTES"
  | "TOOLS_HTTP_TIMEOUT_MS"
  | "TOOLS_HTTP_ALLOW_LOOPBACK_FOR_TESTS"
  | "TAVILY_BASE_URL"
  | "TAVILY_API_KEY"
  | "RUN_JS_TIMEOUT_MS"
  | "RUN_JS_MEMORY_MB"
  | "TOOLS_REQUIRE_APPROVAL"
  | "EXECUTOR_ACCOUNT_SHARE"
>;

/** The built-in tools this executor offers, from its configuration (a tool without its settings is off). */
export function buildTools(
  c: ToolsConfig,
  stores: { datasets?: DatasetStore; history?: HistoryStore; memory?: MemoryBlockStore } = {},
): ToolRegistry {
  const needApproval = new Set(c.TOOLS_REQUIRE_APPROVAL);
  const tools = createBuiltinTools({
    runJs: {
      timeoutMs: c.RUN_JS_TIMEOUT_MS,
      memoryBytes: c.RUN_JS_MEMORY_MB * 1024 * 1024,
      accountShare: c.EXECUTOR_ACCOUNT_SHARE,
    },
    ...(c.TOOLS_HTTP_ALLOW_HOSTS.length > 0
      ? {
          httpFetch: {
            allowHosts: c.TOOLS_HTTP_ALLOW_HOSTS,
            maxBytes: c.TOOLS_HTTP_MAX_BYTES,
            timeoutMs: c.TOOLS_HTTP_TIMEOUT_MS,
            ...(c.TOOLS_HTTP_ALLOW_LOOPBACK_FOR_TESTS ? { allowLoopbackForTests: true } : {}),
          },
        }
      : {}),
    ...(c.TAVILY_API_KEY ? { webSearch: { baseUrl: c.TAVILY_BASE_URL, apiKey: c.TAVILY_API_KEY } } : {}),
    ...(stores.datasets ? { dataset: { store: stores.datasets } } : {}),
    ...(stores.history ? { searchHistory: { store: stores.history } } : {}),
    ...(stores.memory ? { memory: { store: stores.memory } } : {}),
  });
  return createToolRegistry(
    tools.map((t) => (needApproval.has(t.name) ? { ...t, requiresApproval: true } : t)),
  );
}
