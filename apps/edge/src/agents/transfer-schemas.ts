import { text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";
import { createGroupBody, GroupSettingsInput, MemorySettingsInput } from "../groups/schemas.js";
import { AgentInput, AgentName } from "./schemas.js";

/** The version of the import/export format. */
export const TRANSFER_VERSION = 1;

/** A group's settings in a document: agents are named, not identified, so the selector is too. */
export const TransferSettings = GroupSettingsInput.omit({ selectorAgentId: true })
  .extend({
    selectorAgent: AgentName.nullable()
      .optional()
      .openapi({ description: "Name of the agent of `group.agents` that picks speakers under `selector`." }),
    // A summarizer is one of its owner's agents, by id: not something a document can name.
    memory: MemorySettingsInput.omit({ summarizerAgentId: true }).optional(),
  })
  .openapi("TransferGroupSettings");

/** A set of agents and, optionally, a group seating them by name: what export writes and import reads. */
export const transferDocument = (maxAgentsPerGroup: number) => {
  const group = createGroupBody(maxAgentsPerGroup);
  return z
    .strictObject({
      conclave: z.literal(TRANSFER_VERSION).openapi({ description: "The format version." }),
      agents: z.array(AgentInput).max(200).default([]),
      group: z
        .strictObject({
          name: group.shape.name,
          description: group.shape.description,
          strategy: group.shape.strategy,
          settings: TransferSettings.default({}),
          agents: z
            .array(AgentName)
            .max(maxAgentsPerGroup, `at most ${maxAgentsPerGroup} agents per group`)
            .default([])
            .openapi({ description: "Names of agents of this document, in seat order." }),
        })
        .optional(),
    })
    .openapi("AgentsDocument", {
      description: "Agent names are unique in a document: the group seats agents by name.",
    });
};
export type TransferDocument = z.infer<ReturnType<typeof transferDocument>>;

export const ExportQuery = z
  .strictObject({
    groupId: z
      .uuid("must be a UUID")
      .optional()
      .openapi({ description: "Export this group and its agents." }),
    ids: text()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        const ids = v.split(",").map((s) => s.trim());
        const bad = ids.findIndex((id) => !z.uuid().safeParse(id).success);
        if (bad >= 0) ctx.addIssue({ code: "custom", message: `item ${bad} is not a UUID` });
        return ids;
      })
      .openapi({ description: "Comma-separated agent ids to export (default: all the caller's agents)." }),
  })
  .refine((q) => !(q.groupId && q.ids), { message: "give groupId or ids, not both", path: ["ids"] });
export type ExportQuery = z.infer<typeof ExportQuery>;

export const ImportedView = z
  .object({
    agents: z.array(z.object({ id: z.uuid(), name: z.string() })),
    group: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  })
  .openapi("Imported");
