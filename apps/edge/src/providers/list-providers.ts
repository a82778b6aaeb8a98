import { type Principal, requireScope } from "@conclave/auth";
import { eq, providerCredentials } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { Provider } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { catalogOf, type ProviderCatalog } from "./catalog.js";

const busDown = (cause?: unknown) =>
  new AppError("unavailable", "the event bus cannot say which providers executors serve", {
    cause,
    retryAfterSeconds: 1,
  });

/** The providers `accountId`'s agents can be answered by now; `unavailable` while the bus is unreachable. */
export async function loadCatalog(ctx: EdgeContext, accountId: string): Promise<ProviderCatalog> {
  if (!ctx.busUp()) throw busDown();
  const [offers, rows] = await Promise.all([
    ctx.offers.list().catch((e: unknown) => {
      throw busDown(e);
    }),
    ctx.db
      .select({ provider: providerCredentials.provider })
      .from(providerCredentials)
      .where(eq(providerCredentials.accountId, accountId)),
  ]);
  const credentials = rows.flatMap((r) => {
    const p = Provider.safeParse(r.provider);
    return p.success ? [p.data] : [];
  });
  return catalogOf(offers, credentials);
}

/** What live executors serve, with the caller's own credentials: any signed-in caller. */
export async function listProviders({
  ctx,
  principal,
}: {
  ctx: EdgeContext;
  principal: Principal;
}): Promise<ProviderCatalog> {
  requireScope(principal, "read");
  return loadCatalog(ctx, principal.accountId);
}
