import { text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";
import { AgentName } from "../agents/schemas.js";
import { TEMPLATES } from "./catalog.js";
import { INDUSTRY_IDS, ROLE_IDS, TONE_IDS } from "./presets.js";

const Industry = z.enum(INDUSTRY_IDS);
const Role = z.enum(ROLE_IDS);
const Tone = z.enum(TONE_IDS);
const TemplateId = z.enum(TEMPLATES.map((t) => t.id) as [string, ...string[]]);

export const TemplatesQuery = z.strictObject({ industry: Industry.optional(), role: Role.optional() });
export type TemplatesQuery = z.infer<typeof TemplatesQuery>;

export const DraftAgentView = z
  .object({
    name: z.string(),
    description: z.string(),
    provider: z.literal("scripted"),
    model: z.literal("scripted"),
    temperature: z.number(),
    personality: z.string(),
    systemPrompt: z.string(),
    tools: z.array(z.string()),
  })
  .openapi("DraftAgent", {
    description: "An unsaved agent; edit it (e.g. pick a provider and model) and POST it to /v1/agents.",
  });

export const TemplateView = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    industry: Industry,
    role: Role,
    tone: Tone,
    agent: DraftAgentView,
  })
  .openapi("AgentTemplate");

const Choice = z.object({ id: z.string(), label: z.string() });
export const TemplatesView = z
  .object({
    items: z.array(TemplateView),
    industries: z.array(Choice),
    roles: z.array(Choice),
    tones: z.array(Choice),
  })
  .openapi("AgentTemplates");

export const WizardBody = z
  .strictObject({
    templateId: TemplateId.optional().openapi({
      description: "Start from a template; the fields given override it.",
    }),
    industry: Industry.optional(),
    role: Role.optional(),
    tone: Tone.optional(),
    rules: z.array(text().trim().min(1).max(500)).max(20).default([]),
    name: AgentName.optional(),
  })
  .superRefine((w, ctx) => {
    if (w.templateId === undefined && w.role === undefined)
      ctx.addIssue({ code: "custom", path: ["role"], message: "give a role or a templateId" });
  })
  .openapi("AgentWizard");
export type WizardBody = z.infer<typeof WizardBody>;

export const WizardView = z
  .object({
    draft: DraftAgentView,
    composedFrom: z.object({
      templateId: z.string().nullable(),
      industry: Industry,
      role: Role,
      tone: Tone,
      rules: z.array(z.string()),
    }),
  })
  .openapi("AgentDraft");
