export { addressRefusal } from "./address-policy.js";
export { type BuiltinToolsConfig, createBuiltinTools } from "./builtin-tools.js";
export {
  type CalculatorResult,
  calculate,
  createCalculatorTool,
  MAX_EXPRESSION_CHARS,
} from "./calculator.js";
export { type CsvProfiler, createCsvProfiler } from "./csv-profiler.js";
export { type Cell, type ColumnType, type CsvLimits, type CsvTable, parseCsvTable } from "./csv-table.js";
export {
  createDatasetTool,
  type DatasetStore,
  type DatasetToolConfig,
  type DatasetToolResult,
  runDataset,
  type StoredDataset,
} from "./dataset.js";
export { DatasetQuery, MAX_QUERY_ROWS, type QueryResult, queryTable } from "./dataset-query.js";
export { createFairSemaphore, type FairSemaphore, fairShareOf } from "./fair-semaphore.js";
export { hostAllowed } from "./host-allow-list.js";
export {
  createHttpFetchTool,
  type HttpFetchConfig,
  type HttpFetchResult,
  httpFetch,
  type Resolver,
  systemResolver,
} from "./http-fetch.js";
export {
  createMemoryTool,
  type MemoryBlockEdit,
  type MemoryBlockStore,
  type MemoryToolConfig,
  type MemoryToolResult,
  runMemory,
} from "./memory.js";
export type { ResolvedAddress } from "./pinned-request.js";
export {
  type ColumnProfile,
  type DatasetProfile,
  PROFILE_VALUE_CHARS,
  profileCsv,
  profileTable,
} from "./profile-csv.js";
export { createRunJsTool, type RunJsConfig, type RunJsResult, runJs } from "./run-js.js";
export {
  MAX_TOOL_RESULT_CHARS,
  type RunToolInput,
  runTool,
  type ToolErrorInfo,
  type ToolRunResult,
  zodFieldIssues,
} from "./run-tool.js";
export {
  createSearchHistoryTool,
  cutSnippet,
  type HistoryHit,
  type HistorySearch,
  type HistoryStore,
  historyTerms,
  MAX_SEARCH_TERMS,
  MAX_SNIPPET_CHARS,
  runSearchHistory,
  type SearchHistoryResult,
  type SearchHistoryToolConfig,
  SNIPPET_MARKS,
} from "./search-history.js";
export {
  type AnyTool,
  defineTool,
  type Tool,
  type ToolContext,
  type ToolDefinition,
  type ToolSpec,
  toolDefinition,
} from "./tool.js";
export { canonicalJson, toolCallKey } from "./tool-call-key.js";
export { createToolRegistry, type ToolRegistry } from "./tool-registry.js";
export {
  createWebSearchTool,
  type WebSearchConfig,
  type WebSearchHit,
  type WebSearchResult,
  webSearch,
} from "./web-search.js";
