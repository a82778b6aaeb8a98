import { createCalculatorTool } from "./calculator.js";
import { createDatasetTool, type DatasetToolConfig } from "./dataset.js";
import { createHttpFetchTool, type HttpFetchConfig } from "./http-fetch.js";
import { createMemoryTool, type MemoryToolConfig } from "./memory.js";
import { createRunJsTool, type RunJsConfig } from "./run-js.js";
import { createSearchHistoryTool, type SearchHistoryToolConfig } from "./search-history.js";
import type { AnyTool } from "./tool.js";
import { createWebSearchTool, type WebSearchConfig } from "./web-search.js";

/** Which built-in tools to offer and their configuration; a tool without its configuration is left out. */
export interface BuiltinToolsConfig {
  /** On unless `false`. */
  calculator?: boolean;
  /** On unless `false`; needs no outside service. */
  runJs?: RunJsConfig | false;
  /** Needs an allow-list of hosts. */
  httpFetch?: HttpFetchConfig;
  /** Needs a search API base URL and key. */
  webSearch?: WebSearchConfig;
  /** Needs the store of uploaded datasets. */
  dataset?: DatasetToolConfig;
  /** Needs the store of the groups' messages (a database). */
  searchHistory?: SearchHistoryToolConfig;
  /** Needs the store of the groups' memory blocks. */
  memory?: MemoryToolConfig;
}

/** The configured built-in tools, ready for `createToolRegistry`. */
export function createBuiltinTools(config: BuiltinToolsConfig): AnyTool[] {
  const tools: AnyTool[] = [];
  if (config.calculator !== false) tools.push(createCalculatorTool());
  if (config.runJs !== false) tools.push(createRunJsTool(config.runJs ?? {}));
  if (config.httpFetch !== undefined && config.httpFetch.allowHosts.length > 0)
    tools.push(createHttpFetchTool(config.httpFetch));
  if (config.webSearch !== undefined) tools.push(createWebSearchTool(config.webSearch));
  if (config.dataset !== undefined) tools.push(createDatasetTool(config.dataset));
  if (config.searchHistory !== undefined) tools.push(createSearchHistoryTool(config.searchHistory));
  if (config.memory !== undefined) tools.push(createMemoryTool(config.memory));
  return tools;
}
