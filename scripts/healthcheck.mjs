// The images' HEALTHCHECK: GET /healthz on the app's own health port, exit 0 when it answers 200.
// Each app serves it on a port of its own (EDGE_PORT, FANOUT_PORT, and the ops port of the worker
// pools); the one-shot CLI jobs have nothing to check.
const env = process.env;
const app = env.CONCLAVE_APP;
const ports = {
  edge: env.EDGE_PORT ?? "3000",
  fanout: env.FANOUT_PORT ?? "3001",
  executor: env.EXECUTOR_HEALTH_PORT ?? env.EXECUTOR_OPS_PORT ?? "9105",
  orchestrator: env.ORCHESTRATOR_OPS_PORT ?? "9104",
  recorder: env.RECORDER_OPS_PORT ?? "9103",
};
if (app === "cli") process.exit(0);
const port = ports[app];
if (!port) {
  console.error(`healthcheck: unknown CONCLAVE_APP ${app}`);
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch (e) {
  console.error(`healthcheck: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
