export * from "./agent.js";
export * from "./catalog.js";
export * from "./common.js";
export * from "./ids.js";
export * from "./message.js";
export * from "./names.js";
export * from "./turn.js";
export * from "./work.js";
