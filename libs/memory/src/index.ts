export {
  type BlockChange,
  type BlockChanged,
  type BlockRefusal,
  blockEventId,
  changeBlock,
  digestOf,
  isRefusal,
} from "./blocks.js";
export { type BlockEdit, type BlockEdited, editBlock, refusalError } from "./edit-block.js";
export { attributed, ENTRY_MAX_CHARS, memoryEntry, speakerName, voteOutcome } from "./entries.js";
export { describeFile, FILES_CONTEXT_MAX_CHARS, filesContext } from "./files-context.js";
export { type ForkMemory, forkMemory } from "./fork-memory.js";
export { loadAgent, loadAgents, loadGroup } from "./load-agents.js";
export { type GroupFile, loadFiles } from "./load-files.js";
export { createMemoryStore, type MemoryDecision, type MemoryStore } from "./memory-store.js";
export {
  appendTurn,
  applyReset,
  applySummary,
  failSummary,
  markPublished,
  type SummaryJob,
  summaryMessages,
  type TurnAppend,
  unpublishedJob,
} from "./record-ops.js";
export { memorySystemText, renderHistory, withMemory } from "./render.js";
export { agentBudget, type ResolvedMemory, resolveMemory, type WindowBudget } from "./settings.js";
export { countTokens, MESSAGE_OVERHEAD_TOKENS } from "./tokens.js";
export {
  assembleTurnMemory,
  describeTurnMemory,
  historyOf,
  noMemory,
  promptOf,
  TurnMemory,
} from "./turn-memory.js";
export { answerMessages, type Prompt, type Said, transcript } from "./turn-prompt.js";
export { tokensOf, windowStart } from "./window.js";
