import { z } from "zod";

export const GroupIdParam = z.object({ groupId: z.uuid("must be a UUID") });

export const AgentInput = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^\s@][^@]*$/, "must not start with a space or contain @"),
  provider: z.literal("scripted").default("scripted"),
  model: z.string().max(200).default("scripted"),
  systemPrompt: z.string().max(20_000).default(""),
  scripted: z
    .strictObject({
      replies: z.array(z.string().max(20_000)).min(1).max(100).optional(),
      echo: z.boolean().optional(),
      delayMs: z.number().int().min(0).max(600_000).optional(),
      failWith: z.string().min(1).max(1000).optional(),
    })
    .default({}),
});

export const createGroupBody = (maxAgents: number) =>
  z.strictObject({
    name: z.string().trim().min(1).max(200),
    agents: z.array(AgentInput).max(maxAgents, `at most ${maxAgents} agents per group`).default([]),
  });
export type CreateGroupInput = z.infer<ReturnType<typeof createGroupBody>>;

export const AddMemberBody = z.strictObject({
  email: z.email("must be an email address").transform((e) => e.toLowerCase()),
  role: z.enum(["owner", "member", "viewer"]),
});
