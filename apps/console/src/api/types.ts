/** The shapes of the public API the console reads (see /openapi.json); only the fields it uses. */

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Me {
  id: string;
  email: string;
  role: string;
}

export type Role = "owner" | "member" | "viewer";
export type Strategy = "broadcast" | "round_robin" | "mentions" | "selector" | "debate_vote";

export interface GroupSummary {
  id: string;
  name: string;
  description: string;
  strategy: Strategy;
  createdAt: string;
  role: Role;
}

export interface SeatedAgent {
  id: string;
  name: string;
  provider: string;
  model: string;
  enabled: boolean;
  seat: number;
}

export interface Group extends GroupSummary {
  agents: SeatedAgent[];
  settings: Record<string, unknown>;
}

export interface Person {
  accountId: string;
  email: string;
  role: Role;
}

export interface DraftAgent {
  name: string;
  description: string;
  provider: string;
  model: string;
  temperature: number;
  personality: string;
  systemPrompt: string;
  tools: string[];
}

export interface AgentTemplate {
  id: string;
  name: string;
  description: string;
  industry: string;
  role: string;
  tone: string;
  agent: DraftAgent;
}

export interface Templates {
  items: AgentTemplate[];
  industries: { id: string; label: string }[];
  roles: { id: string; label: string }[];
  tones: { id: string; label: string }[];
}

export interface Agent extends DraftAgent {
  id: string;
  enabled: boolean;
  scripted?: Record<string, unknown>;
}

/** An event as the stream and the replay carry it. */
export interface StreamEvent {
  id: string;
  type: string;
  groupId: string;
  turnId: string | null;
  causationId: string | null;
  at: string;
  actor: { kind: "user" | "agent" | "system"; id: string; name?: string };
  payload: unknown;
}

/** A token delta (live only, never replayed). */
export interface StreamDelta {
  groupId: string;
  turnId: string | null;
  agentId: string;
  workId: string;
  index: number;
  text: string;
}

export interface Posted {
  messageId: string;
  turnId: string;
  seq: number;
}

export interface TimelineCall {
  id: string;
  agentName: string;
  purpose: string;
  step: number;
  provider: string;
  model: string;
  prompt: { system: string; messages: Record<string, unknown>[] };
  reply: string | null;
  durationMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: number | null;
  currency: string | null;
  outcome: "ok" | "failed";
  error: string | null;
}

export interface Timeline {
  groupId: string;
  turnId: string;
  steps: { seq: number; event: StreamEvent; call: TimelineCall | null }[];
}

export interface WidgetKey {
  id: string;
  name: string;
  prefix: string;
  groupId: string;
  origins: string[];
  theme: { title?: string; greeting?: string; primary?: string; position?: "bottom-right" | "bottom-left" };
  rateLimitPerMinute: number | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface WidgetEmbed {
  html: string;
  keyPlaceholder: string | null;
}

export interface CreatedWidgetKey extends WidgetKey {
  key: string;
  embed: WidgetEmbed;
}

/** `GET /v1/providers`: what live executors serve for the caller's agents. */
export interface ProviderCatalog {
  executors: number;
  providers: { provider: string; models: string[] | null; executors: number; via: string[] }[];
  accountCredentials: string[];
  acceptsAccountCredentials: string[];
}
