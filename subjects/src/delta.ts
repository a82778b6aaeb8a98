import { z } from "zod";
import { Id } from "./common.js";

/**
 * A piece of an agent's answer as it is generated. Ephemeral: sent on core NATS
 * (`<ns>.delta.<groupId>`), never persisted; the final text is the `agent.replied` event.
 */
export const TokenDelta = z.object({
  groupId: Id,
  turnId: Id.nullable(),
  agentId: Id,
  /** The work item (one LLM call): deltas of one call share it. */
  workId: Id,
  /** 0, 1, 2... within the call, so a client can spot a gap. */
  index: z.number().int().min(0),
  text: z.string(),
});
export type TokenDelta = z.infer<typeof TokenDelta>;
