import { type Principal, requireScope } from "@conclave/auth";
import { providerCredentials, sql } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import type { CredentialView, SetCredentialBody } from "./schemas.js";

/** Stores (or replaces) the caller's credential for a provider, sealed; says whether it was new. */
export async function setCredential({
  ctx,
  principal,
  provider,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  provider: string;
  input: SetCredentialBody;
}): Promise<{ created: boolean; credential: CredentialView }> {
  requireScope(principal, "write");
  const secretEncrypted = await ctx.credentials.seal(
    { accountId: principal.accountId, provider },
    input.apiKey,
  );
  const [row] = await ctx.db
    .insert(providerCredentials)
    .values({ accountId: principal.accountId, provider, secretEncrypted, baseUrl: input.baseUrl })
    .onConflictDoUpdate({
      target: [providerCredentials.accountId, providerCredentials.provider],
      set: { secretEncrypted, baseUrl: input.baseUrl, updatedAt: new Date() },
    })
    .returning({
      createdAt: providerCredentials.createdAt,
      updatedAt: providerCredentials.updatedAt,
      // xmax is 0 for a row this statement inserted, not for one it updated.
      inserted: sql<boolean>`(xmax = 0)`,
    });
  if (!row) throw new AppError("internal", "credential not stored");
  ctx.log.info({ provider }, row.inserted ? "provider credential stored" : "provider credential replaced");
  return {
    created: row.inserted,
    credential: {
      provider,
      baseUrl: input.baseUrl,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    },
  };
}
