import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

// LangGraph runs every node, edge and channel write inside
// `AsyncLocalStorageProviderSingleton.runWithConfig`, which builds a LangSmith `RunTree` each time
// (an id from the random source, a timestamp, environment lookups) only to carry the node's config
// in async local storage. With tracing off that tree is never used: measured on the strategies'
// graphs it was over a quarter of their CPU. Untraced, the config is carried the way the provider
// reads it back (`getRunnableConfig()` → `store.extra[lc:child_config]`), context variables
// included; anything with callbacks, or any tracing switched on, takes the library's own path.

const CHILD_CONFIG = Symbol.for("lc:child_config");
const CONTEXT_VARIABLES = Symbol.for("lc:context_variables");
const TRACING_SWITCHES = [
  "LANGSMITH_TRACING_V2",
  "LANGCHAIN_TRACING_V2",
  "LANGSMITH_TRACING",
  "LANGCHAIN_TRACING",
  "LANGCHAIN_VERBOSE",
];

type RunWithConfig = typeof AsyncLocalStorageProviderSingleton.runWithConfig;
interface Store {
  extra?: Record<symbol, unknown>;
  [CONTEXT_VARIABLES]?: unknown;
}

let installed = false;

/** Whether LangChain tracing or verbose logging is switched on in this process's environment. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return TRACING_SWITCHES.some((name) => env[name] === "true");
}

/**
 * Carries node configs without building run trees, unless tracing is requested (then nothing
 * changes). Idempotent; returns whether the untraced path is in use.
 */
export function useUntracedContext(env: NodeJS.ProcessEnv = process.env): boolean {
  if (installed) return true;
  if (tracingRequested(env)) return false;
  const provider = AsyncLocalStorageProviderSingleton;
  const traced: RunWithConfig = provider.runWithConfig.bind(provider);
  const untraced: RunWithConfig = (config, callback, avoidCreatingRootRunTree) => {
    if (config?.callbacks !== undefined || avoidCreatingRootRunTree) {
      return traced(config, callback, avoidCreatingRootRunTree);
    }
    const storage = provider.getInstance();
    const previous = storage.getStore() as Store | undefined;
    const store: Store = { extra: { [CHILD_CONFIG]: config } };
    if (previous?.[CONTEXT_VARIABLES] !== undefined) store[CONTEXT_VARIABLES] = previous[CONTEXT_VARIABLES];
    return storage.run(store, callback);
  };
  provider.runWithConfig = untraced;
  installed = true;
  return true;
}
