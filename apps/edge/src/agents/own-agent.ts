import { agents, and, eq } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Queryable, Tx } from "../tx.js";

/** One of the account's agents; 404 when it does not exist or is someone else's (the same answer). */
export async function ownAgent(db: Queryable, accountId: string, id: string) {
  const [row] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.id, id), eq(agents.accountId, accountId)));
  if (!row) throw new AppError("not_found", `no agent ${id}`);
  return row;
}

/** As `ownAgent`, locked for the rest of the transaction. */
export async function lockOwnAgent(tx: Tx, accountId: string, id: string) {
  const [row] = await tx
    .select()
    .from(agents)
    .where(and(eq(agents.id, id), eq(agents.accountId, accountId)))
    .for("update");
  if (!row) throw new AppError("not_found", `no agent ${id}`);
  return row;
}
