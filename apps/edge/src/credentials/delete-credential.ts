import { type Principal, requireScope } from "@conclave/auth";
import { and, eq, providerCredentials } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

/** Forgets the caller's credential for a provider; 404 when there is none. */
export async function deleteCredential({
  ctx,
  principal,
  provider,
}: {
  ctx: EdgeContext;
  principal: Principal;
  provider: string;
}): Promise<void> {
  requireScope(principal, "write");
  const gone = await ctx.db
    .delete(providerCredentials)
    .where(
      and(eq(providerCredentials.accountId, principal.accountId), eq(providerCredentials.provider, provider)),
    )
    .returning({ provider: providerCredentials.provider });
  if (gone.length === 0) throw new AppError("not_found", `no credential for ${provider}`);
  ctx.log.info({ provider }, "provider credential deleted");
}
