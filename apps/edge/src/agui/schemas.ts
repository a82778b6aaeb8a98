import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import { text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

/** AG-UI's RunAgentInput (its own schema), with what Conclave needs of it. */
export const AgUiRunBody = RunAgentInputSchema.extend({
  threadId: z.uuid("must be the group's id").openapi({ description: "The group's id." }),
  runId: text()
    .min(1)
    .max(200)
    .openapi({ description: "The client's run id: the same run id again resumes the run, posting nothing." }),
}).openapi("AgUiRunAgentInput", {
  description:
    "AG-UI's RunAgentInput. The last `user` message of `messages` is posted to the group (its text parts); `tools`, `context` and `state` are accepted and not used.",
});
export type AgUiRunBody = z.infer<typeof AgUiRunBody>;

export const LastEventIdHeader = z.object({
  "last-event-id": z.string().max(4000).optional().openapi({
    description: "The `id` of the last event received: the stream resumes after it, without repeating it.",
  }),
});

/** Where forwardedProps may carry the resume point, for clients that cannot set headers. */
export const ForwardedResume = z.object({
  conclave: z.object({ lastEventId: z.string().max(4000).optional() }).optional(),
});
