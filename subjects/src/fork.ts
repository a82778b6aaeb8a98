import { z } from "zod";
import { Id } from "./common.js";

/**
 * Where a copied event came from (envelope field `forkedFrom`, added as optional): a fork of a
 * group copies its history up to a seq, each copy naming the original's group, stream seq and
 * event id. Consumers that act on events (the orchestrator) pass copies over: they are history.
 */
export const ForkOrigin = z.object({
  groupId: Id,
  seq: z.number().int().min(1),
  eventId: Id,
});
export type ForkOrigin = z.infer<typeof ForkOrigin>;
