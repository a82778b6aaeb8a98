export { blockOffHost, launchBrowser, launchBrowserContext, type OwnBrowser } from "./browser.js";
export { type BothDatabases, createTestDatabase, openBothDatabases, type TestDatabase } from "./database.js";
export { testEnv } from "./env.js";
export { readGroupEvents } from "./group-events.js";
export { capturingLogger, quietLogger } from "./logger.js";
export { openProvisionedBus, openTestBus, type TestBus, uniqueNamespace } from "./namespace.js";
export { type OwnNatsServer, startOwnNatsServer } from "./nats-server.js";
export { type OwnPostgres, startPostgres } from "./postgres-server.js";
export { type AppName, AppProcess, appEntry, freePort, OPS_PORT_VAR, REPO_ROOT } from "./processes.js";
export { type OwnPrometheus, prometheusBin, startPrometheus } from "./prometheus.js";
export {
  type Response,
  type SystemOptions,
  startSystem,
  type TestSystem,
  type TestUser,
  waitForHistory,
} from "./system.js";
export { waitUntil } from "./wait.js";
export { captureLlmWork } from "./work-items.js";
export { type Frame, StreamClient, upgradeStatus } from "./ws-client.js";
