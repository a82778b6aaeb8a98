import { AppError, describeError } from "@conclave/errors";
import { z } from "zod";
import type { EdgeContext } from "../context.js";
import { readGroupState, safeJson, unavailableOnFailure } from "./group-state.js";

/*
 * The claim contract of `reject`-policy groups. Bucket `inflight`, key = group id, value JSON
 * `{ messageId, eventId, at }`: the edge creates it (create-if-absent) before it publishes the
 * message, and the orchestrator deletes it when that message's turn ends. An edge deletes a claim
 * itself (by revision) only when it can prove it stale: the orchestrator's state (bucket `turns`)
 * lists its message as seen and no longer active, or the claim is older than CLAIM_STALE_MS.
 */

/** How old a claim may get before it counts as left by an edge that died between claim and publish. */
export const CLAIM_STALE_MS = 30_000;

const Claim = z.object({ messageId: z.string(), eventId: z.string(), at: z.string() });
type Claim = z.infer<typeof Claim>;

export interface GroupClaim {
  /** False when the claim already was this message's (a retried post): nothing of ours to release. */
  owned: boolean;
  /** Frees the claim if it is still ours (best effort; a failure is logged). */
  release(): Promise<void>;
}

/**
 * Claims a `reject`-policy group for one message before it is published. Refuses (409) while
 * another message's turn runs or is about to; frees a stale claim and tries once more.
 */
export async function claimGroup({
  ctx,
  groupId,
  messageId,
  eventId,
}: {
  ctx: EdgeContext;
  groupId: string;
  messageId: string;
  eventId: string;
}): Promise<GroupClaim> {
  const kv = ctx.inflight;
  const value = JSON.stringify({ messageId, eventId, at: new Date().toISOString() } satisfies Claim);
  for (let attempt = 0; ; attempt++) {
    let createError: unknown;
    const revision = await kv.create(groupId, value).catch((e: unknown) => {
      createError = e;
      return undefined;
    });
    if (revision !== undefined) return ownedClaim(ctx, groupId, revision);
    // A failed create means the key is taken, unless there is no live entry to read.
    const entry = await unavailableOnFailure(kv.get(groupId));
    if (entry?.operation !== "PUT") {
      if (attempt === 0) continue;
      throw new AppError("unavailable", "the group's turn claim could not be taken; retry later", {
        cause: createError,
      });
    }
    const parsed = Claim.safeParse(safeJson(entry.string()));
    const claim = parsed.success ? parsed.data : undefined;
    if (claim?.messageId === messageId) return { owned: false, release: async () => undefined };
    const state = await readGroupState(ctx, groupId);
    if (claim && state.active?.messageId === claim.messageId) throw turnRunning(state.active.turnId);
    const claimedAt = claim ? Date.parse(claim.at) : Number.NaN;
    const age = Date.now() - (Number.isNaN(claimedAt) ? entry.created.getTime() : claimedAt);
    const stale = !claim || state.recent.includes(claim.eventId) || age > CLAIM_STALE_MS;
    if (!stale || attempt > 0) throw turnRunning(undefined);
    ctx.log.warn({ groupId, claim: claim ?? entry.string(), ageMs: age }, "freeing a stale turn claim");
    // By revision: if another edge freed or retook it meanwhile, this changes nothing.
    await kv.delete(groupId, { previousSeq: entry.revision }).catch(() => undefined);
  }
}

function ownedClaim(ctx: EdgeContext, groupId: string, revision: number): GroupClaim {
  return {
    owned: true,
    async release() {
      try {
        await ctx.inflight.delete(groupId, { previousSeq: revision });
      } catch (e) {
        ctx.log.warn({ groupId, err: describeError(e) }, "turn claim not released; it goes stale");
      }
    },
  };
}

function turnRunning(turnId: string | undefined): AppError {
  const which = turnId ? ` (turn ${turnId})` : "";
  return new AppError(
    "conflict",
    `a turn is running in this group${which}; its concurrentInput policy is reject, so post again when the turn ends`,
  );
}
