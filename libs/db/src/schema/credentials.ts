import { sql } from "drizzle-orm";
import { pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.js";

/** An account's key for an LLM provider, encrypted at rest (JWE, dir + A256GCM); never read back out by the API. */
export const providerCredentials = pgTable(
  "provider_credentials",
  {
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    secretEncrypted: text("secret_encrypted").notNull(),
    /** Where the provider is reached, when not its public endpoint (not a secret). */
    baseUrl: text("base_url"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.provider] })],
);
