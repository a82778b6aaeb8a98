export { type AppMetrics, createAppMetrics, LATENCY_BUCKETS, LONG_BUCKETS } from "./app-metrics.js";
export type {
  ConsumerLag,
  ConsumerMetrics,
  ConsumerObserver,
  ConsumerOutcome,
  TrackedConsumer,
} from "./consumer-metrics.js";
export {
  CHECK_TIMEOUT_MS,
  type CheckResult,
  consumersCheck,
  databaseCheck,
  type HealthCheck,
  natsCheck,
  runChecks,
} from "./health.js";
export { httpMetrics } from "./http-metrics.js";
export { type OpsOptions, opsApp, serveOps } from "./ops-server.js";
export { withTimeout } from "./timeout.js";
