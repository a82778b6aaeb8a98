import { z } from "zod";
import { Id } from "./common.js";

/**
 * A committed change to who may do what, or to a group's settings: edges drop what they cached of
 * it. Ephemeral (core NATS `<ns>.access.<kind>`), never persisted; a receiver that may have missed
 * some (a reconnect) drops everything, and each cache's short TTL covers the rest.
 */
export const AccessChanged = z.discriminatedUnion("kind", [
  /** A person joined or left the group, or got another role. */
  z.object({ kind: z.literal("membership"), groupId: Id, accountId: Id }),
  /** The group's settings changed, or the group is gone (with every membership in it). */
  z.object({ kind: z.literal("group"), groupId: Id }),
  /** One session ended (logout, a reused refresh token): its access tokens stop working. */
  z.object({ kind: z.literal("session"), sessionId: Id }),
  /** Every session of an account ended (logout everywhere), or the account changed. */
  z.object({ kind: z.literal("account"), accountId: Id }),
  /** An API key was revoked. */
  z.object({ kind: z.literal("api_key"), apiKeyId: Id }),
  /** A budget was set or removed: executors drop what they cached of which calls no budget covers. */
  z.object({ kind: z.literal("budget"), scope: z.enum(["account", "group"]), scopeId: Id }),
]);
export type AccessChanged = z.infer<typeof AccessChanged>;
export type AccessChangeKind = AccessChanged["kind"];
