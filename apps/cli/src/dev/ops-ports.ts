import type { Env } from "@conclave/config";
import { loadConfig as edgeConfig } from "@conclave/edge";
import { loadConfig as executorConfig } from "@conclave/executor";
import { loadConfig as fanoutConfig } from "@conclave/fanout";
import { loadConfig as orchestratorConfig } from "@conclave/orchestrator";
import { loadConfig as recorderConfig } from "@conclave/recorder";
import type { APPS } from "./processes.js";

/** Each app's ops port (metrics and health) as its own configuration reads it. */
export function opsPorts(env: Env): Record<(typeof APPS)[number], number> {
  const executor = executorConfig(env);
  return {
    edge: edgeConfig(env).EDGE_OPS_PORT,
    fanout: fanoutConfig(env).FANOUT_OPS_PORT,
    recorder: recorderConfig(env).RECORDER_OPS_PORT,
    orchestrator: orchestratorConfig(env).ORCHESTRATOR_OPS_PORT,
    executor: executor.EXECUTOR_HEALTH_PORT ?? executor.EXECUTOR_OPS_PORT,
  };
}
