import { INDUSTRIES, type Industry, ROLES, type Role, TONES, type Tone } from "./presets.js";

export interface DraftRequest {
  industry: Industry;
  role: Role;
  /** Default: the role's usual tone. */
  tone?: Tone | undefined;
  /** The caller's own rules, after the industry's. */
  rules?: readonly string[] | undefined;
  /** Default: the role's label. */
  name?: string | undefined;
}

/** An unsaved agent: every field `POST /v1/agents` takes, ready to edit and save. */
export interface DraftAgent {
  name: string;
  description: string;
  provider: "scripted";
  model: "scripted";
  temperature: number;
  personality: string;
  systemPrompt: string;
  tools: string[];
}

/**
 * Composes an agent from an industry, a role, a tone and rules: the same input always gives the
 * same prompt. The tone becomes the personality (a turn appends it to the system prompt).
 */
export function composeDraft(r: DraftRequest): DraftAgent {
  const role = ROLES[r.role];
  const industry = INDUSTRIES[r.industry];
  const tone = r.tone ?? role.tone;
  const name = r.name ?? role.label;
  const rules = [...industry.rules, ...(r.rules ?? []).map((x) => x.trim()).filter(Boolean)];
  const sections = [
    `You are ${name}, ${role.mission} for ${industry.context}.`,
    ["Your job:", ...role.duties.map((d) => `- ${d}`)].join("\n"),
    rules.length > 0 ? ["Rules:", ...rules.map((x) => `- ${x}`)].join("\n") : "",
  ];
  return {
    name,
    description: `${role.label}, ${industry.label.toLowerCase()}, ${tone} tone.`,
    provider: "scripted",
    model: "scripted",
    temperature: role.temperature,
    personality: TONES[tone],
    systemPrompt: sections.filter(Boolean).join("\n\n"),
    tools: [...role.tools],
  };
}
