export {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
export { type KV, Kvm } from "@nats-io/kv";
export { type ObjectStore, Objm } from "@nats-io/obj";
export { createInbox, headers, type Msg, type Subscription } from "@nats-io/transport-node";
export { assertProvisioned, PROVISION_COMMAND } from "./check-provisioned.js";
export { busConnected, connectBus, type NatsConnection } from "./connect.js";
export {
  DLQ_HEADERS,
  deadLetterId,
  decideFailure,
  type EnvelopeHandler,
  type HandlerResult,
  type MessageMeta,
  type RunningConsumer,
  runConsumer,
} from "./consume.js";
export { dispatchTo, type HandlerMap } from "./dispatch.js";
export { FEED_TIMING, type FeedOpener, type FeedTiming, type GroupFeed, groupFeeds } from "./group-feed.js";
export {
  BUS_NEEDS,
  BUS_USERS,
  type BusNeeds,
  type BusUser,
  busInboxPrefix,
  busPermissions,
  type KvBucketKey,
  natsAuthorizationConfig,
  type Permissions,
} from "./permissions.js";
export {
  consumerConfigs,
  PROVISION_DEFAULTS,
  type ProvisionOptions,
  provision,
  streamConfigs,
} from "./provision.js";
export { type Published, publishEnvelope, subjectOf, traced } from "./publish.js";
export {
  createRateLimiter,
  type Decision as RateDecision,
  type Limit,
  type RateLimiter,
  refill,
} from "./rate-limit.js";
export { type ReadResult, readEnvelope } from "./read-envelope.js";
export { isRevisionConflict } from "./revision-conflict.js";
