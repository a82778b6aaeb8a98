import { type Principal, requireScope } from "@conclave/auth";
import { asc, eq, providerCredentials } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import type { CredentialView } from "./schemas.js";

/** Which providers the caller has a credential for; never the secrets. */
export async function listCredentials({
  ctx,
  principal,
}: {
  ctx: EdgeContext;
  principal: Principal;
}): Promise<{ items: CredentialView[] }> {
  requireScope(principal, "read");
  const rows = await ctx.db
    .select({
      provider: providerCredentials.provider,
      baseUrl: providerCredentials.baseUrl,
      createdAt: providerCredentials.createdAt,
      updatedAt: providerCredentials.updatedAt,
    })
    .from(providerCredentials)
    .where(eq(providerCredentials.accountId, principal.accountId))
    .orderBy(asc(providerCredentials.provider));
  return {
    items: rows.map((r) => ({
      ...r,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    })),
  };
}
