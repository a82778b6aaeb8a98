import { accounts, type Db, eq, openDb } from "@conclave/db";
import type { Logger } from "@conclave/log";
import type { CliConfig } from "./config.js";
import { UsageError } from "./dlq-command.js";

export const ADMIN_USAGE = `admin grant|revoke <email>
                           make an account an admin (GET /v1/admin/stats, any account's usage), or a member again`;

/** Sets an account's role; answers what changed. The edge sees it at the account's next credential check. */
export async function setAccountRole(db: Db, email: string, role: "admin" | "member"): Promise<string> {
  const [row] = await db
    .update(accounts)
    .set({ role })
    .where(eq(accounts.email, email.trim().toLowerCase()))
    .returning({ id: accounts.id, email: accounts.email });
  if (!row) throw new UsageError(`no account with the email ${email}`);
  return `${row.email} (${row.id}) is now ${role === "admin" ? "an admin" : "a member"}`;
}

/** `conclave admin grant|revoke <email>`, on DATABASE_URL (or the embedded PGlite). */
export async function admin(config: CliConfig, args: string[], log: Logger, usage: string): Promise<string> {
  const [verb, email] = args;
  if ((verb !== "grant" && verb !== "revoke") || !email)
    throw new UsageError(`conclave ${ADMIN_USAGE}\n${usage}`);
  const handle = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 1 });
  try {
    const line = await setAccountRole(handle.db, email, verb === "grant" ? "admin" : "member");
    log.info({ email, role: verb === "grant" ? "admin" : "member" }, "account role set");
    return `${line}\n`;
  } finally {
    await handle.close();
  }
}
