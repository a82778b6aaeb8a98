import { createHash } from "node:crypto";
import {
  type Authenticator,
  assertGroupRole,
  type GroupAction,
  type GroupRole,
  groupRoleOf,
  type Principal,
  requireCredentialFor,
} from "@conclave/auth";
import type { NatsConnection } from "@conclave/bus";
import { type ConcurrentInput, type Db, eq, groups } from "@conclave/db";
import type { Logger } from "@conclave/log";
import type { AccessChanged, Names } from "@conclave/subjects";
import { watchAccessChanges } from "./access-changes.js";
import { createTtlCache } from "./ttl-cache.js";

/**
 * What every post reads, kept per process: the principal of a credential, a person's role in a
 * group, a group's `concurrentInput`. Each change to them is announced by the edge that commits
 * it and drops them in every edge; a TTL bounds what a lost announcement could leave.
 */
export interface EdgeCaches {
  /** `inner`, answering a credential it accepted before from memory while that stays valid. */
  authenticator(inner: Authenticator): Authenticator;
  /** `requireGroupAccess` of `@conclave/auth`, from memory while fresh (outside transactions only). */
  requireGroupAccess(p: Principal, groupId: string, action: GroupAction): Promise<GroupRole>;
  /** The group's `concurrentInput` setting (`enqueue` when unset). */
  concurrentInput(groupId: string): Promise<ConcurrentInput>;
  /** Call after committing a change to what is cached: this edge drops it at once, every other edge moments later. */
  changed(change: AccessChanged): Promise<void>;
  /**
   * Calls `listener` after each change this edge applies (its own and other edges'), with null when
   * some may have been missed (a reconnect): long streams recheck their caller then. Returns the
   * function that stops listening.
   */
  onChange(listener: (change: AccessChanged | null) => void): () => void;
  stop(): void;
}

export interface EdgeCacheOptions {
  /** How long an entry is used before it is read again (0: caches off). */
  ttlMs: number;
  /** Entries per cache. */
  maxEntries: number;
}

const roleKey = (groupId: string, accountId: string) => `${groupId}:${accountId}`;

/** The credential's key in memory: its hash, not the secret itself. */
const credentialKey = (authorization: string) => createHash("sha256").update(authorization).digest("base64");

export async function createEdgeCaches({
  db,
  nc,
  names,
  log,
  options,
}: {
  db: Db;
  nc: NatsConnection;
  names: Names;
  log: Logger;
  options: EdgeCacheOptions;
}): Promise<EdgeCaches> {
  const principals = createTtlCache<Principal>(options);
  // Members only (a non-member's answer expires at once): joining needs no announcement to be seen.
  const roles = createTtlCache<GroupRole | undefined>(options);
  const policies = createTtlCache<ConcurrentInput>(options);

  const listeners = new Set<(change: AccessChanged | null) => void>();
  const tell = (c: AccessChanged | null) => {
    for (const l of listeners) {
      try {
        l(c);
      } catch (err) {
        log.warn({ err }, "an access change listener failed");
      }
    }
  };
  const apply = (c: AccessChanged) => {
    drop(c);
    tell(c);
  };
  const drop = (c: AccessChanged) => {
    switch (c.kind) {
      case "membership":
        roles.delete(roleKey(c.groupId, c.accountId));
        return;
      case "group":
        roles.deleteWhere((key) => key.startsWith(`${c.groupId}:`));
        policies.delete(c.groupId);
        return;
      case "session":
        principals.deleteWhere((_, p) => p.sessionId === c.sessionId);
        return;
      case "account":
        principals.deleteWhere((_, p) => p.accountId === c.accountId);
        return;
      case "api_key":
        principals.deleteWhere((_, p) => p.apiKeyId === c.apiKeyId);
        return;
      case "budget":
        // The executors' concern; nothing of it is cached here.
        return;
    }
  };
  const applyAll = () => {
    principals.clear();
    roles.clear();
    policies.clear();
    tell(null);
  };
  const changes = await watchAccessChanges({ nc, names, log, apply, applyAll });

  return {
    authenticator(inner) {
      const authenticate = (bearer: string) =>
        principals.get(
          credentialKey(bearer),
          () => inner.authenticate(bearer),
          (p) => p.expiresAt,
        );
      return {
        authenticate,
        fromHeader: (authorization) =>
          // The same header as a fresh entry skips even the parsing; anything else goes through `inner`.
          authorization
            ? principals.get(
                credentialKey(authorization),
                () => inner.fromHeader(authorization),
                (p) => p.expiresAt,
              )
            : inner.fromHeader(authorization),
      };
    },
    async requireGroupAccess(p, groupId, action) {
      requireCredentialFor(p, groupId, action);
      const role = await roles.get(
        roleKey(groupId, p.accountId),
        () => groupRoleOf(db, p.accountId, groupId),
        (r) => (r ? undefined : 0),
      );
      return assertGroupRole(groupId, role, action);
    },
    concurrentInput: (groupId) =>
      policies.get(groupId, async () => {
        const [group] = await db
          .select({ settings: groups.settings })
          .from(groups)
          .where(eq(groups.id, groupId));
        return group?.settings.concurrentInput ?? "enqueue";
      }),
    changed: (change) => changes.announce(change),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => {
      listeners.clear();
      changes.stop();
    },
  };
}
