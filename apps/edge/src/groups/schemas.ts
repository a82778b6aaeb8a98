import { CONCURRENT_INPUT, STRATEGIES } from "@conclave/db";
import { MEMORY_DEFAULTS, MemorySettings, text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";
import { AgentInput } from "../agents/schemas.js";

export const GroupIdParam = z.object({ groupId: z.uuid("must be a UUID") });
export const MemberParams = GroupIdParam.extend({ accountId: z.uuid("must be a UUID") });
export const SeatParams = GroupIdParam.extend({ agentId: z.uuid("must be a UUID") });

const Role = z.enum(["owner", "member", "viewer"]);
const Strategy = z.enum(STRATEGIES).openapi({
  description: [
    "Who speaks in a turn:",
    "`broadcast`: every enabled agent answers the message at once.",
    "`round_robin`: agents answer one after another in seat order, for up to `maxRounds` rounds.",
    "`mentions`: the agents the message @mentions answer, and may hand over by mentioning another (up to `maxHops`); with none, `mentionFallback` decides.",
    "`selector`: the `selectorAgentId` agent picks who speaks next, step by step (up to `maxSteps`).",
    "`debate_vote`: agents debate for `maxRounds` rounds, then vote under `voting`; the turn ends with consensus reached or failed.",
  ].join(" "),
});

const limits = {
  maxRounds: z.number().int().min(1).max(20),
  maxHops: z.number().int().min(0).max(50),
  maxAlternations: z.number().int().min(1).max(20),
  maxSteps: z.number().int().min(1).max(100),
  maxConsecutive: z.number().int().min(1).max(20),
  turnTimeoutMs: z.number().int().min(1000).max(3_600_000),
  maxTokensPerTurn: z.number().int().min(1).max(2_000_000),
  maxAgentSteps: z.number().int().min(1).max(500),
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
    maxAgentSteps: limits.maxAgentSteps
      .optional()
      .openapi({ description: "LLM calls one turn may make across all its agents (tool steps aside)." }),
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

export const VOTE_RULES = ["majority", "supermajority", "unanimous"] as const;
const VoteRule = z.enum(VOTE_RULES).openapi({
  description:
    "`majority`: over half the votes cast; `supermajority`: at least `threshold` of them; `unanimous`: every vote cast.",
});
const Threshold = z
  .number()
  .gt(0.5, "must be over 0.5")
  .max(1, "must be at most 1")
  .openapi({ description: "Share of the votes cast a `supermajority` needs (0.5 < t ≤ 1); only with it." });
const Quorum = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("count"), min: z.number().int().min(0) }),
    z.strictObject({ kind: z.literal("share"), min: z.number().min(0).max(1) }),
  ])
  .openapi("Quorum", {
    description:
      "Ballots (not abstaining) a vote needs to count: `count` of voters, or a `share` (0..1) of the voters.",
  });
const DeadlineMs = z
  .number()
  .int()
  .min(1000)
  .max(3_600_000)
  .openapi({ description: "How long the ballot stays open; missing ballots then abstain." });
const MentionFallback = z.enum(["broadcast", "round_robin", "none"]).openapi({
  description:
    "What `mentions` does with a message that mentions no agent: ask everyone, go in seat order, or no one.",
});
const SelectorAgentId = z.uuid("must be a UUID").nullable().openapi({
  description: "The agent (seated in the group) that picks speakers under `selector`; null: none.",
});

/** The issue, if any, of a threshold given without a supermajority or missing with one. */
export function thresholdIssue(rule: string, threshold: number | undefined): string | undefined {
  if (rule === "supermajority" && threshold === undefined) return "required with rule supermajority";
  if (rule !== "supermajority" && threshold !== undefined)
    return `only with rule supermajority (rule is ${rule})`;
  return undefined;
}

export const VotingInput = z
  .strictObject({
    rule: VoteRule.optional(),
    threshold: Threshold.optional(),
    quorum: Quorum.optional(),
    deadlineMs: DeadlineMs.optional(),
  })
  .superRefine((v, ctx) => {
    const message = thresholdIssue(v.rule ?? "majority", v.threshold);
    if (message) ctx.addIssue({ code: "custom", path: ["threshold"], message });
  })
  .openapi("VotingInput", { description: "The ballot of `debate_vote`; unset keys take their defaults." });

const memory = MemorySettings.shape;
const MEMORY_DESCRIPTION = [
  "What the group's agents remember of the conversation:",
  `\`enabled\` (default ${MEMORY_DEFAULTS.enabled}; off, prompts carry no history, summary or blocks),`,
  `\`windowTokens\` (${MEMORY_DEFAULTS.windowTokens}) and \`maxMessages\` (${MEMORY_DEFAULTS.maxMessages}) of earlier conversation in each prompt, newest first (an agent's own \`memory\` overrides them),`,
  `\`summarizeAfterTokens\` (${MEMORY_DEFAULTS.summarizeAfterTokens}) fallen out of the window before a summary,`,
  "`summarizerAgentId`: one of the caller's agents that writes the summaries (default: the deployment's, if any).",
].join(" ");

export const MemorySettingsInput = z
  .strictObject(memory)
  .openapi("MemorySettingsInput", { description: MEMORY_DESCRIPTION });

const MemorySettingsPatch = z
  .strictObject({
    enabled: memory.enabled.unwrap().nullable().optional(),
    windowTokens: memory.windowTokens.unwrap().nullable().optional(),
    maxMessages: memory.maxMessages.unwrap().nullable().optional(),
    summarizeAfterTokens: memory.summarizeAfterTokens.unwrap().nullable().optional(),
    summarizerAgentId: memory.summarizerAgentId.unwrap().nullable().optional(),
  })
  .nullable()
  .optional()
  .openapi({
    description: "A merge patch of `memory`: given keys change, `null` resets one (or all of it).",
  });

export const GroupSettingsInput = z
  .strictObject({
    turnLimits: TurnLimits.optional(),
    voting: VotingInput.optional(),
    selectorAgentId: SelectorAgentId.optional(),
    mentionFallback: MentionFallback.optional(),
    concurrentInput: ConcurrentInput.optional(),
    retentionDays: RetentionDays.optional(),
    memory: MemorySettingsInput.optional(),
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
        maxAgentSteps: limits.maxAgentSteps.nullable().optional(),
      })
      .nullable()
      .optional(),
    voting: z
      .strictObject({
        rule: VoteRule.nullable().optional(),
        threshold: Threshold.nullable().optional(),
        quorum: Quorum.nullable().optional(),
        deadlineMs: DeadlineMs.nullable().optional(),
      })
      .nullable()
      .optional()
      .openapi({
        description:
          "A merge patch of the ballot. Moving off `supermajority` drops the stored threshold; moving onto it needs one.",
      }),
    selectorAgentId: SelectorAgentId.optional(),
    mentionFallback: MentionFallback.nullable().optional(),
    concurrentInput: ConcurrentInput.nullable().optional(),
    retentionDays: RetentionDays.optional(),
    memory: MemorySettingsPatch,
  })
  .openapi("GroupSettingsPatch");
export type GroupSettingsPatch = z.infer<typeof GroupSettingsPatch>;

export const VotingView = z
  .object({
    rule: VoteRule,
    threshold: Threshold.optional().openapi({ description: "Present with `supermajority` only." }),
    quorum: Quorum,
    deadlineMs: DeadlineMs,
  })
  .openapi("Voting");

export const MemorySettingsView = z
  .object({
    enabled: z.boolean(),
    windowTokens: z.number().int(),
    maxMessages: z.number().int(),
    summarizeAfterTokens: z.number().int(),
    summarizerAgentId: z
      .uuid()
      .nullable()
      .openapi({ description: "null: the deployment's default, if any." }),
  })
  .openapi("MemorySettings", { description: "Memory settings with their effective values." });

export const GroupSettingsView = z
  .object({
    turnLimits: TurnLimits,
    voting: VotingView,
    selectorAgentId: SelectorAgentId,
    mentionFallback: MentionFallback,
    concurrentInput: ConcurrentInput,
    retentionDays: RetentionDays,
    memory: MemorySettingsView,
  })
  .openapi("GroupSettings");
export type GroupSettingsView = z.infer<typeof GroupSettingsView>;

const GroupName = text().trim().min(1).max(200);
const Description = text().max(2000);

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

/** What one fork may copy: the events of the original up to `fromSeq`, at most this many. */
export const FORK_LIMITS = { maxEvents: 5_000 } as const;

export const forkGroupBody = (maxAgents: number) =>
  z
    .strictObject({
      fromSeq: z
        .number()
        .int("must be an integer")
        .min(1)
        .max(Number.MAX_SAFE_INTEGER)
        .openapi({
          description: `The last stream seq of the original's history the fork copies (at most its last recorded seq; at most ${FORK_LIMITS.maxEvents} events).`,
        }),
      name: GroupName.optional().openapi({ description: "Default: the original's name with ` (fork)`." }),
      agents: z
        .array(z.uuid("must be a UUID"))
        .min(1)
        .max(maxAgents, `at most ${maxAgents} agents per group`)
        .optional()
        .openapi({
          description:
            "The fork's agents in seat order: agents seated in the original or the caller's own. Default: the original's current seats.",
        }),
    })
    .superRefine((f, ctx) => {
      for (const [i, id] of (f.agents ?? []).entries())
        if (f.agents?.indexOf(id) !== i)
          ctx.addIssue({ code: "custom", path: ["agents", i], message: "an agent may sit once" });
    })
    .openapi("ForkGroup");
export type ForkGroupInput = z.infer<ReturnType<typeof forkGroupBody>>;

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
    forkedFrom: z
      .object({ groupId: z.uuid(), fromSeq: z.number().int() })
      .optional()
      .openapi({ description: "A fork only: the group and seq its history was copied from." }),
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
