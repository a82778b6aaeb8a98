import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { groups } from "./groups.js";

/** `standard`: scoped to its account; `widget`: one group, post and read only, from listed origins. */
export const API_KEY_KINDS = ["standard", "widget"] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

/** How an embedded widget looks; every field optional, validated at the edge. */
export type WidgetTheme = {
  title?: string;
  greeting?: string;
  primary?: string;
  position?: "bottom-right" | "bottom-left";
};

/** A person's account; `role` is the account-level role (admin or member). */
export const accounts = pgTable("accounts", {
  id: uuid("id").primaryKey(),
  /** Stored lower-cased; unique. */
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role", { enum: ["admin", "member"] })
    .notNull()
    .default("member"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  disabledAt: timestamp("disabled_at", { withTimezone: true }),
});

/** A login session: one refresh-token family. Access tokens carry its id (`sid`) and die with it. */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("sessions_account_idx").on(t.accountId)],
);

/** Opaque refresh tokens, stored as SHA-256 hashes; each is used once, then replaced in its session. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("refresh_tokens_session_idx").on(t.sessionId)],
);

/**
 * Keys for programs: shown once, stored hashed, scoped, revocable, optionally expiring and rate-limited.
 * A widget key also names its group, the page origins it may be used from and its theme.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The key's public prefix, to recognise it in lists. */
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    scopes: jsonb("scopes").$type<("read" | "write" | "admin")[]>().notNull(),
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    kind: text("kind", { enum: API_KEY_KINDS }).notNull().default("standard"),
    groupId: uuid("group_id").references(() => groups.id, { onDelete: "cascade" }),
    /** Exact `scheme://host[:port]` origins, lower-cased; only for widget keys. */
    origins: jsonb("origins").$type<string[]>(),
    theme: jsonb("theme").$type<WidgetTheme>(),
  },
  (t) => [index("api_keys_account_idx").on(t.accountId), index("api_keys_group_idx").on(t.groupId)],
);

/** Token signing keys. The private half is encrypted at rest; retired keys still verify for a while. */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwk: jsonb("public_jwk").$type<Record<string, unknown>>().notNull(),
  privateJwkEncrypted: text("private_jwk_encrypted").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  retiredAt: timestamp("retired_at", { withTimezone: true }),
});
