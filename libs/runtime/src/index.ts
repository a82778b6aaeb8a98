export { type ProcessConfig, type ProcessResources, runProcess } from "./run-process.js";
export { runUntilSignal, type Service } from "./run-until-signal.js";
export { type OpsWiring, withOps } from "./with-ops.js";
