import { text } from "@conclave/subjects";
import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { groupAccess } from "../http/group-access.js";
import { bearer, json, problems, router } from "../http/openapi.js";
import { getAgentContext } from "./agent-context.js";
import { SeatParams } from "./schemas.js";

const ContextQuery = (maxChars: number) =>
  z.strictObject({
    content: text()
      .trim()
      .min(1)
      .max(maxChars)
      .openapi({ description: "The message to assemble the prompt for." }),
    authorName: text()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "As the message would be posted with." }),
  });

const Message = z.looseObject({
  role: z.enum(["user", "assistant", "tool"]),
  name: z.string().optional(),
  content: z.string(),
});

const AgentContextView = z
  .object({
    agent: z.object({ id: z.uuid(), name: z.string(), provider: z.string(), model: z.string() }),
    sent: z.object({ systemPrompt: z.string(), messages: z.array(Message) }).openapi({
      description: "Exactly what the executor would be sent (the work item's system prompt and messages).",
    }),
    parts: z.array(
      z.object({
        part: z.enum([
          "system_prompt",
          "personality",
          "memory_blocks",
          "summary",
          "files",
          "history",
          "message",
        ]),
        messages: z.number().int(),
        tokens: z.number().int(),
      }),
    ),
    tokens: z.number().int(),
    memory: z.object({
      enabled: z.boolean(),
      windowTokens: z.number().int(),
      maxMessages: z.number().int(),
      window: z.object({
        entries: z.number().int(),
        fromSeq: z.number().int().nullable(),
        toSeq: z.number().int().nullable(),
        tokens: z.number().int(),
      }),
      summary: z
        .object({ eventId: z.uuid(), upToSeq: z.number().int(), tokens: z.number().int() })
        .nullable(),
      blocks: z.array(z.object({ label: z.string(), version: z.number().int(), chars: z.number().int() })),
      resetSeq: z.number().int(),
    }),
  })
  .openapi("AgentContext");

/** What an agent would be sent now; mounted behind authentication. */
export function contextRoutes(ctx: EdgeContext) {
  const route = createRoute({
    method: "get",
    path: "/{groupId}/agents/{agentId}/context",
    tags: ["Memory"],
    summary: "What an agent would be sent now for a message",
    description:
      "The agent's first ask of a turn that `content` would open, assembled as the orchestrator assembles it: system prompt with the memory blocks and the latest summary, the files context, the window of earlier conversation, the message; each part with its token count (o200k_base; an estimate for providers without a published tokenizer). Owners, members and viewers.",
    security: bearer,
    middleware: [groupAccess(ctx, "read")],
    request: { params: SeatParams, query: ContextQuery(ctx.config.MAX_MESSAGE_CHARS) },
    responses: { 200: json(AgentContextView, "The context."), ...problems(400, 401, 403, 404, 429) },
  });
  const app = router();
  app.openapi(route, async (c) => {
    const { groupId, agentId } = c.req.valid("param");
    const q = c.req.valid("query");
    return c.json(
      await getAgentContext({
        ctx,
        principal: c.get("principal"),
        input: { groupId, agentId, content: q.content, authorName: q.authorName },
      }),
      200,
    );
  });
  return app;
}
