import { and, asc, type Db, eq, events, groups } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { AnyEnvelope } from "@conclave/subjects";
import { type RecordedEvent, type VerifyResult, verifyTurn } from "./verify-turn.js";

export interface TurnVerdict extends VerifyResult {
  turnId: string;
}

/**
 * Verifies a group's recorded turns (or one), read from the events table, with the group's current
 * strategy and settings (the turn's own are not recorded). Reads only: nothing is published.
 */
export async function verifyGroup(input: {
  db: Db;
  groupId: string;
  turnId?: string | undefined;
  defaults?: { turnTimeoutMs: number; maxAgentSteps: number; voteDeadlineMs: number };
}): Promise<TurnVerdict[]> {
  const { db, groupId } = input;
  const [group] = await db
    .select({ strategy: groups.strategy, settings: groups.settings })
    .from(groups)
    .where(eq(groups.id, groupId));
  if (!group) throw new AppError("not_found", `no group ${groupId}`);
  const filters = [eq(events.groupId, groupId)];
  if (input.turnId) filters.push(eq(events.turnId, input.turnId));
  const rows = await db
    .select()
    .from(events)
    .where(and(...filters))
    .orderBy(asc(events.seq));
  const byTurn = new Map<string, RecordedEvent[]>();
  for (const r of rows) {
    if (!r.turnId) continue;
    const event = { ...r, at: new Date(r.at).toISOString() } as unknown as AnyEnvelope;
    const list = byTurn.get(r.turnId) ?? [];
    list.push({ seq: r.seq, event });
    byTurn.set(r.turnId, list);
  }
  const verdicts: TurnVerdict[] = [];
  for (const [turnId, turn] of byTurn) {
    // A turn refused or cancelled before it started has nothing to re-drive.
    const started = turn.find((e) => e.event.type === "turn.started")?.event;
    if (started?.type !== "turn.started") continue;
    const strategy = started.payload.strategy;
    verdicts.push({
      turnId,
      ...(await verifyTurn({
        events: turn,
        // The turn's strategy is recorded; its settings are not.
        strategy,
        settings: group.settings,
        ...(input.defaults ? { defaults: input.defaults } : {}),
      })),
    });
  }
  return verdicts;
}
