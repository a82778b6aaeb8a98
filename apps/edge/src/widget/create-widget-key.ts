import { type Principal, requireGroupAccess, createWidgetKey as storeWidgetKey } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { embedCode } from "./embed-code.js";
import type { CreateWidgetKeyBody } from "./schemas.js";

/**
 * Creates a widget key for a group its owner runs: the key reads and posts there only, from the
 * origins listed. The embed code comes with the secret, the one time it is shown.
 */
export async function createWidgetKey({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; body: CreateWidgetKeyBody; baseUrl: string };
}) {
  await requireGroupAccess(ctx.db, principal, input.groupId, "manage");
  const ceiling = ctx.config.RATE_LIMIT_PER_MINUTE;
  const { body } = input;
  if (body.rateLimitPerMinute !== undefined && body.rateLimitPerMinute > ceiling) {
    throw new AppError("validation", "a key's rate limit may not exceed the deployment's", {
      fields: [{ path: "body.rateLimitPerMinute", message: `must be at most ${ceiling}` }],
    });
  }
  const created = await storeWidgetKey(ctx.db, {
    accountId: principal.accountId,
    groupId: input.groupId,
    name: body.name,
    origins: body.origins,
    theme: body.theme ?? {},
    ...(body.rateLimitPerMinute ? { rateLimitPerMinute: body.rateLimitPerMinute } : {}),
  });
  const html = embedCode({
    baseUrl: input.baseUrl,
    streamUrl: ctx.config.WIDGET_STREAM_URL,
    groupId: input.groupId,
    key: created.key,
    theme: created.theme,
  });
  return { ...created, embed: { html, keyPlaceholder: null } };
}
