import { type Principal, requireScope } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import { MAX_RANGE_DAYS } from "./schemas.js";

/** Whether the principal is an account admin acting with the admin scope. */
export const isAdmin = (p: Principal) => p.accountRole === "admin" && p.scopes.has("admin");

/**
 * The account whose usage the caller reads: their own, or (admins only) the one named. Anyone else
 * naming another account gets 404, as for an account that does not exist.
 */
export function usageAccount(principal: Principal, accountId: string | undefined): string {
  requireScope(principal, "read");
  if (accountId === undefined || accountId === principal.accountId) return principal.accountId;
  if (!isAdmin(principal)) throw new AppError("not_found", `no account ${accountId}`);
  return accountId;
}

const DAY_MS = 86_400_000;

/** `from` (inclusive) .. `to` (exclusive) in UTC; default the current month up to now. */
export function rangeOf(q: { from?: string | undefined; to?: string | undefined }, now = new Date()) {
  const from = q.from ? new Date(q.from) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = q.to ? new Date(q.to) : now;
  if (to.getTime() <= from.getTime())
    throw new AppError("validation", "invalid query parameter", {
      fields: [{ path: "query.to", message: "must be after from" }],
    });
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
    throw new AppError("validation", "invalid query parameter", {
      fields: [{ path: "query.from", message: `a range covers at most ${MAX_RANGE_DAYS} days` }],
    });
  return { from, to };
}
