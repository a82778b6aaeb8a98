import { getWidgetKey, type Principal, requireGroupAccess } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { embedCode, KEY_PLACEHOLDER } from "./embed-code.js";

/**
 * A widget key's embed code, again: its secret is stored hashed and shown only at creation, so the
 * code holds a placeholder where the key goes (a lost key is replaced by creating another).
 */
export async function widgetEmbed({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { groupId: string; keyId: string; baseUrl: string };
}) {
  await requireGroupAccess(ctx.db, principal, input.groupId, "manage");
  const key = await getWidgetKey(ctx.db, input.groupId, input.keyId);
  const html = embedCode({
    baseUrl: input.baseUrl,
    streamUrl: ctx.config.WIDGET_STREAM_URL,
    groupId: input.groupId,
    key: KEY_PLACEHOLDER,
    theme: key.theme,
  });
  return { html, keyPlaceholder: KEY_PLACEHOLDER };
}
