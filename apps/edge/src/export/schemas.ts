import { SCOPES } from "@conclave/auth";
import { z } from "@hono/zod-openapi";
import { AgentView } from "../agents/schemas.js";
import { FileView } from "../files/schemas.js";
import { GroupSettingsView } from "../groups/schemas.js";
import { MemoryBlockView } from "../memory/schemas.js";
import { ReplayLine, TimelineCall } from "../replay/schemas.js";

/**
 * What an export reads at once; what a JSON export may hold is configured (`EXPORT_JSON_MAX_EVENTS`,
 * `EXPORT_JSON_MAX_LLM_CALLS`), and NDJSON streams any size.
 */
export const EXPORT_LIMITS = {
  /** Rows per query while an export streams (events, votes, summaries). */
  batch: 500,
  /** LLM calls per query: each row holds a prompt, so fewer at once. */
  llmCallBatch: 50,
} as const;

export const EXPORT_FORMAT = "conclave-export";
export const EXPORT_VERSION = 1;

export const ExportQuery = z.strictObject({
  format: z.enum(["json", "ndjson"], "must be json or ndjson").default("ndjson").openapi({
    description:
      "`ndjson` (the default) streams one record per line, any size; `json` is one document, for small exports only.",
  }),
});
export type ExportQuery = z.infer<typeof ExportQuery>;

const Role = z.enum(["owner", "member", "viewer"]);

export const ExportedGroup = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    strategy: z.string(),
    settings: GroupSettingsView,
    createdAt: z.string(),
    updatedAt: z.string(),
    throughSeq: z.number().int().openapi({
      description:
        "The export holds the group's events recorded up to this stream seq (the rest came after it began).",
    }),
  })
  .openapi("ExportedGroup");

export const ExportedSeat = z
  .object({
    seat: z.number().int(),
    agentId: z.uuid(),
    name: z.string(),
    provider: z.string(),
    model: z.string(),
    enabled: z.boolean(),
    definition: AgentView.nullable().openapi({
      description: "The agent's whole definition when it is the caller's; null for another account's agent.",
    }),
  })
  .openapi("ExportedSeat");

export const ExportedMember = z
  .object({ accountId: z.uuid(), email: z.string(), role: Role, joinedAt: z.string() })
  .openapi("ExportedMember");

export const ExportedMemory = z
  .object({
    blocks: z.array(MemoryBlockView),
    summary: z
      .object({ eventId: z.uuid(), fromSeq: z.number().int(), upToSeq: z.number().int(), text: z.string() })
      .nullable()
      .openapi({ description: "The summary later prompts start from, if any." }),
    resetSeq: z
      .number()
      .int()
      .openapi({ description: "Turns at or before this seq are forgotten (a reset)." }),
  })
  .openapi("ExportedMemory");

export const ExportedSummary = z
  .object({
    eventId: z.uuid(),
    seq: z.number().int(),
    fromSeq: z.number().int(),
    upToSeq: z.number().int(),
    summary: z.string(),
    agentId: z.uuid(),
    at: z.string(),
  })
  .openapi("ExportedSummary");

export const ExportedVote = z
  .object({
    voteId: z.uuid(),
    turnId: z.uuid().nullable(),
    question: z.string().nullable(),
    status: z.enum(["open", "closed"]),
    winner: z.string().nullable(),
    outcome: z.string().nullable(),
    consensus: z.string().nullable(),
    row: z.record(z.string(), z.unknown()).openapi({ description: "Every column of the vote as recorded." }),
    ballots: z.array(
      z.object({
        agentId: z.uuid(),
        agentName: z.string(),
        choice: z.string().nullable(),
        confidence: z.number(),
        rationale: z.string(),
        at: z.string(),
      }),
    ),
  })
  .openapi("ExportedVote");

export const ExportedLlmCall = TimelineCall.extend({ turnId: z.uuid().nullable() }).openapi(
  "ExportedLlmCall",
);

export const ExportedAccount = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(["admin", "member"]),
    createdAt: z.string(),
    disabledAt: z.string().nullable(),
  })
  .openapi("ExportedAccount");

export const ExportedApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's public prefix; the secret is never exported." }),
    scopes: z.array(z.enum(SCOPES)),
    rateLimitPerMinute: z.number().int().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ExportedApiKey");

const Header = z.object({
  kind: z.literal("header"),
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  scope: z.enum(["group", "account"]),
  id: z.uuid().openapi({ description: "The group's or the account's id." }),
  exportedAt: z.string(),
});
const End = z.object({
  kind: z.literal("end"),
  counts: z.record(z.string(), z.number().int()).openapi({ description: "Records of each kind." }),
});
const inGroup = { groupId: z.uuid() };

/** One NDJSON line of an export; every record of a group names it. */
export const ExportRecord = z
  .discriminatedUnion("kind", [
    Header,
    z.object({ kind: z.literal("account"), ...ExportedAccount.shape }),
    z.object({ kind: z.literal("agent"), ...AgentView.shape }),
    z.object({ kind: z.literal("api_key"), ...ExportedApiKey.shape }),
    z.object({ kind: z.literal("group"), ...ExportedGroup.shape }),
    z.object({ kind: z.literal("seat"), ...inGroup, ...ExportedSeat.shape }),
    z.object({ kind: z.literal("member"), ...inGroup, ...ExportedMember.shape }),
    z.object({ kind: z.literal("file"), ...inGroup, ...FileView.shape }),
    z.object({ kind: z.literal("memory"), ...inGroup, ...ExportedMemory.shape }),
    z.object({ kind: z.literal("summary"), ...inGroup, ...ExportedSummary.shape }),
    z.object({ kind: z.literal("vote"), ...inGroup, ...ExportedVote.shape }),
    z.object({ kind: z.literal("event"), ...inGroup, ...ReplayLine.shape }),
    z.object({ kind: z.literal("llm_call"), ...inGroup, ...ExportedLlmCall.shape }),
    End,
  ])
  .openapi("ExportRecord", {
    description:
      "The first line is the header, the last `end` (an answer without it was cut short). A group's records come in this order: group, seats, members, files, memory, summaries, votes, events (in seq order), LLM calls.",
  });
export type ExportRecord = z.infer<typeof ExportRecord>;

/** A group's part of a JSON export. */
export const GroupExportDocument = z
  .object({
    group: ExportedGroup,
    seats: z.array(ExportedSeat),
    members: z.array(ExportedMember),
    files: z.array(FileView),
    memory: ExportedMemory,
    summaries: z.array(ExportedSummary),
    votes: z.array(ExportedVote),
    events: z.array(ReplayLine).openapi({ description: "In stream seq order." }),
    llmCalls: z.array(ExportedLlmCall),
  })
  .openapi("GroupExport");
export type GroupExportDocument = z.infer<typeof GroupExportDocument>;

const documentHead = {
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exportedAt: z.string(),
};

export const GroupExportJson = z
  .object({ ...documentHead, scope: z.literal("group"), ...GroupExportDocument.shape })
  .openapi("GroupExportDocument");

export const AccountExportJson = z
  .object({
    ...documentHead,
    scope: z.literal("account"),
    account: ExportedAccount,
    agents: z.array(AgentView),
    apiKeys: z.array(ExportedApiKey),
    groups: z.array(GroupExportDocument).openapi({ description: "Every group the account owns." }),
  })
  .openapi("AccountExportDocument");
