import { and, asc, eq, inArray, turns, voteBallots, votes } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

/** A turn as recorded, with its strategy and, for `debate_vote`, its vote and ballots; 404 if unknown here. */
export async function getTurn({
  ctx,
  groupId,
  turnId,
}: {
  ctx: EdgeContext;
  groupId: string;
  turnId: string;
}) {
  const [t] = await ctx.db
    .select()
    .from(turns)
    .where(and(eq(turns.groupId, groupId), eq(turns.id, turnId)));
  if (!t) throw new AppError("not_found", `no turn ${turnId} in group ${groupId}`);
  const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);
  const voteRows = await ctx.db
    .select()
    .from(votes)
    .where(and(eq(votes.groupId, groupId), eq(votes.turnId, turnId)))
    .orderBy(asc(votes.openedAt));
  const ballots =
    voteRows.length === 0
      ? []
      : await ctx.db
          .select()
          .from(voteBallots)
          .where(
            inArray(
              voteBallots.voteId,
              voteRows.map((v) => v.voteId),
            ),
          )
          .orderBy(asc(voteBallots.at));
  return {
    id: t.id,
    groupId: t.groupId,
    messageId: t.messageId,
    status: t.status,
    reason: t.reason,
    strategy: t.strategy,
    postedAt: iso(t.postedAt),
    startedAt: iso(t.startedAt),
    endedAt: iso(t.endedAt),
    votes: voteRows.map((v) => ({
      voteId: v.voteId,
      status: v.status,
      rule: v.rule,
      quorum: v.quorum,
      options: v.options ?? [],
      deadline: iso(v.deadline),
      closedBy: v.closedBy,
      winner: v.winner,
      reason: v.reason,
      consensus: v.consensus,
      consensusCode: v.consensusCode,
      confidence: v.confidence,
      tally: v.tally,
      ballots: ballots
        .filter((b) => b.voteId === v.voteId)
        .map((b) => ({
          agentId: b.agentId,
          agentName: b.agentName,
          choice: b.choice,
          confidence: b.confidence,
          rationale: b.rationale,
        })),
    })),
  };
}
