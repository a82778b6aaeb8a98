import { z } from "@hono/zod-openapi";

const TurnFigures = z.object({
  conversations: z.number().int().openapi({ description: "Groups with a turn started in the range." }),
  turns: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  /** Completed over ended turns (null with none ended). */
  successRate: z.number().nullable(),
  durationP50Ms: z.number().nullable(),
  durationP95Ms: z.number().nullable(),
  llmCalls: z.number().int(),
  llmErrors: z.number().int(),
});

export const StatsView = z
  .object({
    from: z.string(),
    to: z.string(),
    total: TurnFigures,
    byDay: z.array(TurnFigures.extend({ day: z.string() })),
    models: z.array(
      z.object({
        provider: z.string(),
        model: z.string(),
        calls: z.number().int(),
        failed: z.number().int(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        cost: z.number(),
      }),
    ),
    errors: z.object({
      turnsByReason: z.array(z.object({ reason: z.string(), turns: z.number().int() })),
      events: z.array(z.object({ type: z.string(), count: z.number().int() })),
      topLlmErrors: z.array(z.object({ error: z.string(), count: z.number().int() })),
    }),
  })
  .openapi("AdminStats");
export type StatsView = z.infer<typeof StatsView>;
