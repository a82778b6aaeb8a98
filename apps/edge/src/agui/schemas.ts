import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import { jsonObject, text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

/**
 * AG-UI's RunAgentInput, by AG-UI's own schema, with what Conclave needs of it. (Its schema holds
 * transforms the OpenAPI generator cannot render: the route documents `AgUiRunDoc` and validates
 * the shape of it, then the service parses with this one.)
 */
export const AgUiRunInput = RunAgentInputSchema.extend({
  threadId: z.uuid("must be the group's id"),
  runId: text().min(1).max(200),
});
export type AgUiRunInput = z.infer<typeof AgUiRunInput>;

// Free-form parts (state, forwardedProps) are checked whole: storable text, bounded depth and size.
const FREE = { maxDepth: 32, maxChars: 64_000 };

const AgUiMessage = z
  .looseObject({
    id: text(),
    role: z.enum(["developer", "system", "assistant", "user", "tool", "activity", "reasoning"]),
    content: z.union([text(), z.array(z.looseObject({ type: text() }))]).optional(),
  })
  .openapi("AgUiMessage");

/** RunAgentInput as documented (AG-UI's schema does the full check). */
export const AgUiRunDoc = z
  .looseObject({
    threadId: text().openapi({ description: "The group's id." }),
    runId: text().openapi({
      description: "The client's run id: the same run id again streams the same turn, posting nothing.",
    }),
    parentRunId: text().optional(),
    state: jsonObject(FREE).optional(),
    messages: z.array(AgUiMessage),
    tools: z.array(z.looseObject({ name: text() })).optional(),
    context: z.array(z.looseObject({ description: text(), value: text() })).optional(),
    forwardedProps: jsonObject(FREE).optional().openapi({
      description: "`conclave.lastEventId`: where to resume, as the Last-Event-ID header.",
    }),
  })
  .openapi("AgUiRunAgentInput", {
    description:
      "AG-UI's RunAgentInput. The last `user` message of `messages` is posted to the group (its text parts); `tools`, `context` and `state` are accepted and not used.",
  });

export const LastEventIdHeader = z.object({
  "last-event-id": text().max(4000).optional().openapi({
    description: "The `id` of the last event received: the stream resumes after it, without repeating it.",
  }),
});

/** Where forwardedProps may carry the resume point, for clients that cannot set headers. */
export const ForwardedResume = z.object({
  conclave: z.object({ lastEventId: z.string().max(4000).optional() }).optional(),
});
