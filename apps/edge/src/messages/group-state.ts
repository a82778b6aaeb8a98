import { AppError } from "@conclave/errors";
import { z } from "zod";
import type { EdgeContext } from "../context.js";

/** What the edge reads of the orchestrator's group state (bucket `turns`); anything else in it is ignored. */
const GroupState = z.object({
  active: z
    .object({
      messageId: z.string(),
      turnId: z.string().optional(),
      /** Each agent's tool calls of its current step, by call id; `awaiting` a person's decision. */
      loops: z
        .record(
          z.string(),
          z.object({
            pending: z.record(z.string(), z.object({ key: z.string(), awaiting: z.boolean().catch(false) })),
          }),
        )
        .catch({}),
    })
    .nullable()
    .catch(null),
  /** Ids of the latest `message.posted` events whose turn started (the running one too). */
  recent: z.array(z.string()).catch([]),
});
export type GroupState = z.infer<typeof GroupState>;

/** The orchestrator's state of a group: its running turn and the messages it saw last (none if it has none). */
export async function readGroupState(ctx: EdgeContext, groupId: string): Promise<GroupState> {
  const entry = await unavailableOnFailure(ctx.turnState.get(groupId));
  const parsed = GroupState.safeParse(entry?.operation === "PUT" ? safeJson(entry.string()) : {});
  return parsed.success ? parsed.data : { active: null, recent: [] };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Awaits a bus call; a failure is the bus being unreachable (503), not our bug. */
export async function unavailableOnFailure<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new AppError("unavailable", "the event bus is unreachable; retry later", { cause: e });
  }
}
