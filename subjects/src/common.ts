import { z } from "zod";

/** Ids are UUIDs: they never contain subject wildcards (`*`, `>`) or separators (`.`). */
export const Id = z.uuid();

export const Actor = z.object({
  kind: z.enum(["user", "agent", "system"]),
  id: z.string().min(1).max(200),
  name: z.string().max(200).optional(),
});
export type Actor = z.infer<typeof Actor>;

export const SYSTEM_ACTOR: Actor = { kind: "system", id: "conclave" };

/** What an agent needs to answer, snapshotted when its turn starts. */
export const AgentSnapshot = z.object({
  id: Id,
  name: z.string().min(1).max(100),
  provider: z.enum(["scripted"]),
  model: z.string().max(200),
  systemPrompt: z.string().max(20_000).default(""),
  scripted: z
    .object({
      /** Canned replies, used in turn order (cycling). */
      replies: z.array(z.string().max(20_000)).max(100).optional(),
      /** Reply with the message text. */
      echo: z.boolean().optional(),
      /** Wait this long before answering (simulated latency). */
      delayMs: z.number().int().min(0).max(600_000).optional(),
      /** Fail permanently with this reason (to exercise `agent.failed`). */
      failWith: z.string().max(1000).optional(),
    })
    .default({}),
});
export type AgentSnapshot = z.infer<typeof AgentSnapshot>;
