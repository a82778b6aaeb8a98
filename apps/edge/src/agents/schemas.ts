import {
  AgentMemorySettings,
  jsonObject,
  PROVIDERS,
  SCRIPTED_MAX_DELAY_MS,
  SCRIPTED_MAX_TOKEN_DELAY_MS,
  text,
} from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

export const AgentName = text()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\s@][^@]*$/, "must not start with a space or contain @")
  .openapi({ example: "Ada" });

export const ToolName = text()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, "a letter, then up to 63 letters, digits, _ . -")
  .openapi({ example: "calculator" });

export const ScriptedSettings = z
  .strictObject({
    replies: z.array(text().max(20_000)).min(1).max(100).optional(),
    echo: z.boolean().optional(),
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(SCRIPTED_MAX_DELAY_MS)
      .optional()
      .openapi({ description: `Simulated latency before answering, at most ${SCRIPTED_MAX_DELAY_MS} ms.` }),
    tokenDelayMs: z
      .number()
      .int()
      .min(0)
      .max(SCRIPTED_MAX_TOKEN_DELAY_MS)
      .optional()
      .openapi({
        description: `Pause between streamed words (at most ${SCRIPTED_MAX_TOKEN_DELAY_MS} ms; ${SCRIPTED_MAX_DELAY_MS} ms per answer in all), to watch an answer stream.`,
      }),
    failWith: text().min(1).max(1000).optional(),
    toolCalls: z
      .array(
        z.strictObject({
          name: text().min(1).max(200),
          args: jsonObject()
            .optional()
            .openapi({ description: "Free-form JSON, at most 32 levels deep and 16,000 characters." }),
          id: text().max(200).optional(),
        }),
      )
      .max(20)
      .optional(),
    votes: z
      .array(
        z.strictObject({
          choice: text().max(200).nullable().openapi({ description: "null abstains." }),
          confidence: z.number().min(0).max(1).optional().openapi({ description: "Default 1." }),
          rationale: text().max(4000).optional(),
        }),
      )
      .min(1)
      .max(100)
      .optional()
      .openapi({
        description:
          "Ballots cast when asked to vote (`debate_vote`), cycled by turn; without them the agent abstains.",
      }),
  })
  .openapi("ScriptedSettings", { description: "How the offline `scripted` provider answers." });
export type ScriptedSettings = z.infer<typeof ScriptedSettings>;

export const AgentLimits = z
  .strictObject({
    maxToolCalls: z.number().int().min(0).max(50).optional(),
    timeoutMs: z.number().int().min(1000).max(600_000).optional(),
    maxReplyChars: z.number().int().min(1).max(200_000).optional(),
  })
  .openapi("AgentLimits", { description: "Per-agent limits, beyond the deployment's own." });

export const AgentMemory = z.strictObject(AgentMemorySettings.shape).openapi("AgentMemory", {
  description:
    "The agent's own window of earlier conversation (`windowTokens`, `maxMessages`), overriding its groups' `settings.memory`; unset keys follow the group.",
});

const Provider = z.enum(PROVIDERS);
const Temperature = z.number().min(0).max(2);
const MaxTokens = z.number().int().min(1).max(200_000);
const Tools = z
  .array(ToolName)
  .max(32)
  .refine((t) => new Set(t).size === t.length, "tool names must be unique");

/** The longest prompt a turn snapshot may carry: the system prompt plus the personality. */
export const PROMPT_BUDGET = 20_000;

const shape = {
  name: AgentName,
  description: text().max(1000),
  provider: Provider,
  model: text().trim().min(1).max(200),
  temperature: Temperature.nullable(),
  maxTokens: MaxTokens.nullable(),
  personality: text().max(2000),
  systemPrompt: text().max(PROMPT_BUDGET),
  tools: Tools,
  limits: AgentLimits,
  enabled: z.boolean(),
  scripted: ScriptedSettings,
  memory: AgentMemory,
};

/** A new agent; every field but the name has a default (a `scripted` agent answering offline). */
export const AgentInput = z
  .strictObject({
    name: shape.name,
    description: shape.description.default(""),
    provider: shape.provider.default("scripted"),
    model: shape.model
      .optional()
      .openapi({ description: "Required unless the provider is `scripted` (default `scripted`)." }),
    temperature: shape.temperature.default(null),
    maxTokens: shape.maxTokens.default(null),
    personality: shape.personality.default(""),
    systemPrompt: shape.systemPrompt.default(""),
    tools: shape.tools.default([]),
    limits: shape.limits.default({}),
    enabled: shape.enabled.default(true),
    scripted: shape.scripted.default({}),
    memory: shape.memory.default({}),
  })
  .superRefine((a, ctx) => {
    if (a.provider !== "scripted" && a.model === undefined)
      ctx.addIssue({ code: "custom", path: ["model"], message: `required for provider ${a.provider}` });
  })
  .openapi("AgentInput");
export type AgentInput = z.infer<typeof AgentInput>;

/** Changes to an agent: only the fields given change; `null` clears temperature or max tokens. */
export const AgentPatch = z
  .strictObject({
    name: shape.name.optional(),
    description: shape.description.optional(),
    provider: shape.provider.optional(),
    model: shape.model.optional(),
    temperature: shape.temperature.optional(),
    maxTokens: shape.maxTokens.optional(),
    personality: shape.personality.optional(),
    systemPrompt: shape.systemPrompt.optional(),
    tools: shape.tools.optional(),
    limits: shape.limits.optional(),
    enabled: shape.enabled.optional(),
    scripted: shape.scripted.optional(),
    memory: shape.memory
      .optional()
      .openapi({ description: "Replaces the agent's window (`{}`: its groups')." }),
  })
  .refine((p) => Object.keys(p).length > 0, "give at least one field to change")
  .openapi("AgentPatch");
export type AgentPatch = z.infer<typeof AgentPatch>;

export const AgentView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    provider: Provider,
    model: z.string(),
    temperature: z.number().nullable(),
    maxTokens: z.number().int().nullable(),
    personality: z.string(),
    systemPrompt: z.string(),
    tools: z.array(z.string()),
    limits: AgentLimits,
    enabled: z.boolean(),
    scripted: ScriptedSettings,
    memory: AgentMemory,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Agent");
export type AgentView = z.infer<typeof AgentView>;

export const AgentIdParam = z.object({ id: z.uuid("must be a UUID") });

export const ListAgentsQuery = z.strictObject({
  provider: Provider.optional(),
  enabled: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  q: text().trim().min(1).max(100).optional().openapi({ description: "Name contains (any case)." }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .uuid("must be a nextCursor")
    .optional()
    .openapi({ description: "`nextCursor` of the page before." }),
});
export type ListAgentsQuery = z.infer<typeof ListAgentsQuery>;

export const DeleteAgentQuery = z.strictObject({
  force: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .default(false)
    .openapi({ description: "Also take the agent out of the groups it sits in (else 409)." }),
});

export const AgentStatusQuery = z.strictObject({
  windowHours: z.coerce.number().int().min(1).max(8760).default(168),
});

export const AgentStatusView = z
  .object({
    agentId: z.uuid(),
    enabled: z.boolean(),
    seats: z.number().int().openapi({ description: "Groups the agent sits in." }),
    lastUsedAt: z.string().nullable().openapi({ description: "Its last answer or failure, ever." }),
    window: z.object({
      hours: z.number().int(),
      replies: z.number().int(),
      failures: z.number().int(),
      errorRate: z
        .number()
        .nullable()
        .openapi({ description: "failures / (replies + failures); null without either." }),
    }),
  })
  .openapi("AgentStatus");
export type AgentStatusView = z.infer<typeof AgentStatusView>;

const BulkCreate = z.strictObject({ op: z.literal("create"), agent: AgentInput });
const BulkUpdate = z.strictObject({
  op: z.literal("update"),
  id: z.uuid("must be a UUID"),
  patch: AgentPatch,
});
const BulkEnable = z.strictObject({ op: z.literal("enable"), id: z.uuid("must be a UUID") });
const BulkDisable = z.strictObject({ op: z.literal("disable"), id: z.uuid("must be a UUID") });
const BulkDelete = z.strictObject({
  op: z.literal("delete"),
  id: z.uuid("must be a UUID"),
  force: z.boolean().default(false),
});

export const BulkOperation = z
  .discriminatedUnion("op", [BulkCreate, BulkUpdate, BulkEnable, BulkDisable, BulkDelete])
  .openapi("BulkAgentOperation");
export type BulkOperation = z.infer<typeof BulkOperation>;

export const BulkBody = z
  .strictObject({ operations: z.array(BulkOperation).min(1).max(100) })
  .openapi("BulkAgents", {
    description: "Operations run in order, each on its own: one failing does not undo or stop the others.",
  });

export const BulkResultView = z
  .object({
    index: z.number().int(),
    op: z.enum(["create", "update", "enable", "disable", "delete"]),
    status: z.number().int().openapi({ description: "The status the operation alone would have had." }),
    id: z.uuid().optional(),
    agent: AgentView.optional(),
    error: z
      .object({
        type: z.string(),
        title: z.string(),
        status: z.number().int(),
        detail: z.string(),
        errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      })
      .optional()
      .openapi({
        description:
          "Problem details of a failed operation; paths name the item (`body.operations.3.agent.name`).",
      }),
  })
  .openapi("BulkAgentResult");
export type BulkResultView = z.infer<typeof BulkResultView>;

export const BulkView = z
  .object({ results: z.array(BulkResultView), succeeded: z.number().int(), failed: z.number().int() })
  .openapi("BulkAgentResults");
