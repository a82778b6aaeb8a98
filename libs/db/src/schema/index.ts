export * from "./accounts.js";
export * from "./agents.js";
export * from "./credentials.js";
export * from "./events.js";
export * from "./files.js";
export * from "./groups.js";
export * from "./messages.js";
export * from "./turns.js";
