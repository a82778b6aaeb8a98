import { type ApiKeyView, createApiKey, type Principal } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import type { CreateKeyBody } from "./schemas.js";

/**
 * Creates an API key of the caller's account; only account admins may hand out the admin scope.
 * A key's own rate limit may only lower the deployment's per-caller limit, never raise it.
 */
export async function createKey({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: CreateKeyBody;
}): Promise<ApiKeyView & { key: string }> {
  if (input.scopes.includes("admin") && principal.accountRole !== "admin") {
    throw new AppError("forbidden", "only an account admin may create admin-scoped keys", {
      fields: [{ path: "body.scopes", message: "admin not allowed" }],
    });
  }
  const ceiling = ctx.config.RATE_LIMIT_PER_MINUTE;
  if (input.rateLimitPerMinute !== undefined && input.rateLimitPerMinute > ceiling) {
    throw new AppError("validation", "a key's rate limit may not exceed the deployment's", {
      fields: [{ path: "body.rateLimitPerMinute", message: `must be at most ${ceiling}` }],
    });
  }
  return createApiKey(ctx.db, {
    accountId: principal.accountId,
    name: input.name,
    scopes: input.scopes,
    ...(input.expiresAt ? { expiresAt: new Date(input.expiresAt) } : {}),
    ...(input.rateLimitPerMinute ? { rateLimitPerMinute: input.rateLimitPerMinute } : {}),
  });
}
