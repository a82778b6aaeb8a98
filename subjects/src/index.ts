export * from "./access.js";
export * from "./agent.js";
export * from "./budget.js";
export * from "./catalog.js";
export * from "./common.js";
export * from "./delta.js";
export * from "./executor-offer.js";
export * from "./fork.js";
export * from "./ids.js";
export * from "./memory.js";
export * from "./message.js";
export * from "./names.js";
export * from "./orchestration.js";
export {
  FREE_JSON_LIMITS,
  isStorableText,
  type JsonLimits,
  jsonObject,
  REPLACEMENT_CHARACTER,
  text,
  toStorable,
  UNSTORABLE_MESSAGE,
} from "./text.js";
export * from "./tool.js";
export * from "./turn.js";
export * from "./work.js";
