import type { AnyTool, ToolDefinition } from "./tool.js";
import { toolDefinition } from "./tool.js";

/** The tools an executor can run, by name. */
export interface ToolRegistry {
  get(name: string): AnyTool | undefined;
  list(): readonly AnyTool[];
  /** Definitions for an LLM request: only the tools in `allowed` that exist, in registry order. */
  definitions(allowed: readonly string[]): ToolDefinition[];
}

/** Builds a registry; two tools with the same name are a configuration error. */
export function createToolRegistry(tools: readonly AnyTool[]): ToolRegistry {
  const byName = new Map<string, AnyTool>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`two tools are named ${tool.name}`);
    byName.set(tool.name, tool);
  }
  const all = [...byName.values()];
  return {
    get: (name) => byName.get(name),
    list: () => all,
    definitions: (allowed) => {
      const allow = new Set(allowed);
      return all.filter((t) => allow.has(t.name)).map(toolDefinition);
    },
  };
}
