import type { AccessChangeKind } from "./access.js";

/**
 * Stream, consumer, bucket and subject names. Every name carries the deployment namespace
 * (`CONCLAVE_NS`), so several deployments and every test run share one NATS without overlap.
 */

/** A namespace is a subject token and a stream-name prefix: letters, digits, `_` and `-`. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export const STREAMS = {
  /** Conversation events, per group: the durable history that fanout and replay read. */
  conv: "CONV",
  /** Work items for the executor pool and the orchestrator's timers (work-queue retention). */
  work: "WORK",
  /** Poison messages, with the reason they were terminated. */
  dlq: "DLQ",
} as const;

export const CONSUMERS = {
  orchestrator: "orchestrator",
  orchestratorTimers: "orchestrator-timers",
  executorLlm: "executor-llm",
  executorTool: "executor-tool",
  recorder: "recorder",
} as const;

export const BUCKETS = {
  /** Per-group turn state of the orchestrator, updated by compare-and-set. */
  turns: "turns",
  /** Rate-limit buckets and failed-login counters, shared by every edge replica. */
  limits: "limits",
  /** The tool ledger: each call's idempotency key → pending, then committed with its result. */
  toolLedger: "tool_ledger",
  /** Uploaded files (object store): `<groupId>/<fileId>`. */
  files: "files",
  /** LangGraph checkpoints of running turns (`<turnId>.…`), purged when the turn ends. */
  checkpoints: "checkpoints",
  /** The running turn of each `reject`-policy group, claimed by the edge with create-if-absent. */
  inflight: "inflight",
  /** Each group's memory (window since the latest summary, the summary, blocks), by compare-and-set. */
  memory: "memory",
  /** What each live executor can serve (`ExecutorOffer`, key = executor id), aging out unless renewed. */
  executors: "executors",
} as const;

export type StreamKey = keyof typeof STREAMS;

/** The names of one deployment, derived once from its namespace. */
export interface Names {
  readonly ns: string;
  stream(key: StreamKey): string;
  bucket(key: keyof typeof BUCKETS): string;
  /** `ns.conv.<groupId>.<type>` */
  convSubject(groupId: string, type: string): string;
  /** All events of one group: `ns.conv.<groupId>.>` */
  groupFilter(groupId: string): string;
  /** One event type of one group, e.g. the group's `message.posted` queue. */
  groupTypeFilter(groupId: string, type: string): string;
  /** Every conversation event: `ns.conv.>` */
  convFilter(): string;
  /** The event type a conversation subject carries (`ns.conv.<groupId>.<type>`), or null for another subject. */
  convTypeOf(subject: string): string | null;
  /** `ns.work.llm`, `ns.work.timer` */
  workSubject(kind: "llm" | "timer" | "tool"): string;
  workFilter(): string;
  dlqSubject(stream: string): string;
  /** Ephemeral token deltas of a group (core NATS, not in any stream). */
  deltaSubject(groupId: string): string;
  deltaFilter(): string;
  dlqFilter(): string;
  /** Committed access and settings changes, for caches (core NATS): `ns.access.<kind>` */
  accessSubject(kind: AccessChangeKind): string;
  accessFilter(): string;
}

export function names(ns: string): Names {
  if (!NAMESPACE_PATTERN.test(ns)) {
    throw new Error(`namespace ${JSON.stringify(ns)} must match ${NAMESPACE_PATTERN}`);
  }
  const convPrefix = `${ns}.conv.`;
  return {
    ns,
    stream: (key) => `${ns}_${STREAMS[key]}`,
    bucket: (key) => `${ns}_${BUCKETS[key]}`,
    convSubject: (groupId, type) => `${ns}.conv.${groupId}.${type}`,
    groupFilter: (groupId) => `${ns}.conv.${groupId}.>`,
    groupTypeFilter: (groupId, type) => `${ns}.conv.${groupId}.${type}`,
    convFilter: () => `${ns}.conv.>`,
    convTypeOf: (subject) => {
      if (!subject.startsWith(convPrefix)) return null;
      const dot = subject.indexOf(".", convPrefix.length);
      return dot < 0 ? null : subject.slice(dot + 1);
    },
    workSubject: (kind) => `${ns}.work.${kind}`,
    workFilter: () => `${ns}.work.>`,
    dlqSubject: (stream) => `${ns}.dlq.${stream}`,
    dlqFilter: () => `${ns}.dlq.>`,
    deltaSubject: (groupId) => `${ns}.delta.${groupId}`,
    deltaFilter: () => `${ns}.delta.>`,
    accessSubject: (kind) => `${ns}.access.${kind}`,
    accessFilter: () => `${ns}.access.>`,
  };
}
