export * from "./agent.js";
export * from "./catalog.js";
export * from "./common.js";
export * from "./delta.js";
export * from "./ids.js";
export * from "./message.js";
export * from "./names.js";
export * from "./orchestration.js";
export {
  FREE_JSON_LIMITS,
  type JsonLimits,
  jsonObject,
  NUL_MESSAGE,
  NUL_REPLACEMENT,
  noNul,
  replaceNul,
  text,
} from "./text.js";
export * from "./tool.js";
export * from "./turn.js";
export * from "./work.js";
