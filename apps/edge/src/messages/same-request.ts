import { AppError } from "@conclave/errors";
import { type Envelope, parseEnvelope } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";

/** What makes two posts the same request: who posts, under which name, and the content. */
function fingerprint(e: Pick<Envelope<"message.posted">, "actor" | "payload">): string {
  return JSON.stringify([e.actor.kind, e.actor.id, e.actor.name ?? null, e.payload.content]);
}

/**
 * A reused Idempotency-Key answers its first post's ids only for the same request. The event stored
 * under the key's derived id is read back from the stream by its seq (not from the read model: it
 * holds across edge replicas and before the recorder ran); another body under the key is a 422.
 */
export async function requireSameRequest(
  ctx: EdgeContext,
  seq: number,
  event: Envelope<"message.posted">,
): Promise<void> {
  let raw: unknown;
  try {
    const jsm = await ctx.js.jetstreamManager(false);
    raw = (await jsm.direct.getMessage(ctx.names.stream("conv"), { seq }))?.json();
  } catch (cause) {
    throw new AppError("unavailable", "the event bus did not answer; retry later", { cause });
  }
  const stored = raw === undefined ? undefined : parseEnvelope(raw);
  // Gone from the stream (past its retention): nothing left to compare with.
  if (!stored?.ok || stored.envelope.id !== event.id || stored.envelope.type !== "message.posted") return;
  if (fingerprint(stored.envelope) === fingerprint(event)) return;
  throw new AppError("unprocessable", "this Idempotency-Key was used for another request", {
    fields: [{ path: "header.idempotency-key", message: "already used with a different body" }],
  });
}
