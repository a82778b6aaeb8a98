export type { Completion, CompletionRequest, LlmProvider } from "./provider.js";
export { createScriptedProvider } from "./scripted.js";
