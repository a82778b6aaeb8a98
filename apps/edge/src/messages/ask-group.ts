import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { type PostMessageInput, postMessage } from "./post-message.js";
import { type WatchedTurn, watchTurn } from "./watch-turn.js";

/**
 * Posts a message (exactly as `postMessage`, Idempotency-Key included), then waits up to `waitMs`
 * for its turn's outcome on the stream. The caller must be able to read the answer as well as
 * post: a credential without the `read` scope is refused before anything is published.
 */
export async function askGroup({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: PostMessageInput & { waitMs: number; signal: AbortSignal };
}): Promise<WatchedTurn> {
  requireScope(principal, "read");
  await requireGroupAccess(ctx.db, principal, input.groupId, "post");
  const { waitMs, signal, ...post } = input;
  const posted = await postMessage({ ctx, input: post });
  return watchTurn(ctx, { groupId: input.groupId, ids: posted, status: "queued", waitMs, signal });
}
