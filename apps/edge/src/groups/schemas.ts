import { CONCURRENT_INPUT, STRATEGIES } from "@conclave/db";
import { z } from "@hono/zod-openapi";
import { AgentInput } from "../agents/schemas.js";

export const GroupIdParam = z.object({ groupId: z.uuid("must be a UUID") });
export const MemberParams = GroupIdParam.extend({ accountId: z.uuid("must be a UUID") });
export const SeatParams = GroupIdParam.extend({ agentId: z.uuid("must be a UUID") });

const Role = z.enum(["owner", "member", "viewer"]);
const Strategy = z
  .enum(STRATEGIES)
  .openapi({ description: "Who speaks. Stored for every strategy; only `broadcast` runs today." });

const limits = {
  maxRounds: z.number().int().min(1).max(20),
  maxHops: z.number().int().min(0).max(50),
  maxAlternations: z.number().int().min(1).max(20),
  maxSteps: z.number().int().min(1).max(100),
  maxConsecutive: z.number().int().min(1).max(20),
  turnTimeoutMs: z.number().int().min(1000).max(3_600_000),
  maxTokensPerTurn: z.number().int().min(1).max(2_000_000),
};

export const TurnLimits = z
  .strictObject({
    maxRounds: limits.maxRounds.optional(),
    maxHops: limits.maxHops.optional(),
    maxAlternations: limits.maxAlternations.optional(),
    maxSteps: limits.maxSteps.optional(),
    maxConsecutive: limits.maxConsecutive.optional(),
    turnTimeoutMs: limits.turnTimeoutMs.optional(),
    maxTokensPerTurn: limits.maxTokensPerTurn.optional(),
  })
  .openapi("TurnLimits", { description: "Unset limits take the deployment's defaults." });

const ConcurrentInput = z.enum(CONCURRENT_INPUT).openapi({
  description:
    "A message posted while a turn runs: `enqueue` (runs next), `reject`, or `interrupt` the running turn.",
});
const RetentionDays = z
  .number()
  .int()
  .min(1)
  .max(3650)
  .nullable()
  .openapi({ description: "null: keep forever." });

export const GroupSettingsInput = z
  .strictObject({
    turnLimits: TurnLimits.optional(),
    concurrentInput: ConcurrentInput.optional(),
    retentionDays: RetentionDays.optional(),
  })
  .openapi("GroupSettingsInput");
export type GroupSettingsInput = z.infer<typeof GroupSettingsInput>;

/** A merge patch of settings: given keys change, `null` resets a key to its default. */
export const GroupSettingsPatch = z
  .strictObject({
    turnLimits: z
      .strictObject({
        maxRounds: limits.maxRounds.nullable().optional(),
        maxHops: limits.maxHops.nullable().optional(),
        maxAlternations: limits.maxAlternations.nullable().optional(),
        maxSteps: limits.maxSteps.nullable().optional(),
        maxConsecutive: limits.maxConsecutive.nullable().optional(),
        turnTimeoutMs: limits.turnTimeoutMs.nullable().optional(),
        maxTokensPerTurn: limits.maxTokensPerTurn.nullable().optional(),
      })
      .nullable()
      .optional(),
    concurrentInput: ConcurrentInput.nullable().optional(),
    retentionDays: RetentionDays.optional(),
  })
  .openapi("GroupSettingsPatch");
export type GroupSettingsPatch = z.infer<typeof GroupSettingsPatch>;

export const GroupSettingsView = z
  .object({ turnLimits: TurnLimits, concurrentInput: ConcurrentInput, retentionDays: RetentionDays })
  .openapi("GroupSettings");
export type GroupSettingsView = z.infer<typeof GroupSettingsView>;

const GroupName = z.string().trim().min(1).max(200);
const Description = z.string().max(2000);

export const createGroupBody = (maxAgents: number) =>
  z
    .strictObject({
      name: GroupName,
      description: Description.default(""),
      strategy: Strategy.default("broadcast"),
      settings: GroupSettingsInput.default({}),
      agents: z
        .array(AgentInput)
        .max(maxAgents, `at most ${maxAgents} agents per group`)
        .default([])
        .openapi({ description: "New agents, made in the caller's account and seated first." }),
      agentIds: z
        .array(z.uuid("must be a UUID"))
        .max(maxAgents, `at most ${maxAgents} agents per group`)
        .default([])
        .openapi({ description: "Existing agents of the caller, seated after `agents`." }),
    })
    .superRefine((g, ctx) => {
      if (g.agents.length + g.agentIds.length > maxAgents)
        ctx.addIssue({
          code: "custom",
          path: ["agentIds"],
          message: `at most ${maxAgents} agents per group`,
        });
    })
    .openapi("CreateGroup");
export type CreateGroupInput = z.infer<ReturnType<typeof createGroupBody>>;

export const GroupPatch = z
  .strictObject({
    name: GroupName.optional(),
    description: Description.optional(),
    strategy: Strategy.optional(),
    settings: GroupSettingsPatch.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, "give at least one field to change")
  .openapi("GroupPatch");
export type GroupPatch = z.infer<typeof GroupPatch>;

export const SeatedAgentView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    provider: z.string(),
    model: z.string(),
    enabled: z.boolean(),
    seat: z
      .number()
      .int()
      .openapi({ description: "0-based seat: the speaking order of ordered strategies." }),
  })
  .openapi("SeatedAgent");
export type SeatedAgentView = z.infer<typeof SeatedAgentView>;

export const GroupView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    strategy: Strategy,
    settings: GroupSettingsView,
    createdAt: z.string(),
    updatedAt: z.string(),
    role: Role.openapi({ description: "The caller's role in the group." }),
    agents: z.array(SeatedAgentView),
  })
  .openapi("Group");
export type GroupView = z.infer<typeof GroupView>;

export const GroupSummaryView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    strategy: Strategy,
    createdAt: z.string(),
    role: Role,
  })
  .openapi("GroupSummary");

export const ListGroupsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .uuid("must be a nextCursor")
    .optional()
    .openapi({ description: "`nextCursor` of the page before." }),
});
export type ListGroupsQuery = z.infer<typeof ListGroupsQuery>;

export const AddMemberBody = z
  .strictObject({
    email: z
      .email("must be an email address")
      .transform((e) => e.toLowerCase())
      .optional(),
    accountId: z.uuid("must be a UUID").optional(),
    role: Role,
  })
  .superRefine((m, ctx) => {
    if ((m.email === undefined) === (m.accountId === undefined))
      ctx.addIssue({ code: "custom", path: ["email"], message: "give either email or accountId" });
  })
  .openapi("AddMember");
export type AddMemberBody = z.infer<typeof AddMemberBody>;

export const MemberPatch = z.strictObject({ role: Role }).openapi("MemberPatch");

export const MemberView = z
  .object({ groupId: z.uuid(), accountId: z.uuid(), role: Role })
  .openapi("Membership");

export const PersonView = z
  .object({ accountId: z.uuid(), email: z.string(), role: Role })
  .openapi("GroupPerson");

export const SeatAgentBody = z
  .strictObject({
    agentId: z.uuid("must be a UUID"),
    seat: z
      .number()
      .int()
      .min(0)
      .optional()
      .openapi({ description: "Where to sit (0 = first); default last. Others move up." }),
  })
  .openapi("SeatAgent");
export type SeatAgentBody = z.infer<typeof SeatAgentBody>;

export const RosterBody = (maxAgents: number) =>
  z
    .strictObject({
      agentIds: z
        .array(z.uuid("must be a UUID"))
        .max(maxAgents, `at most ${maxAgents} agents per group`)
        .refine((ids) => new Set(ids).size === ids.length, "an agent may sit once"),
    })
    .openapi("Roster", { description: "The whole roster in seat order; agents left out leave the group." });

export const RosterView = z.object({ items: z.array(SeatedAgentView) }).openapi("RosterView");
