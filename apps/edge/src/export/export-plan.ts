import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import type { GroupExtent } from "./group-records.js";
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportQuery, type ExportRecord } from "./schemas.js";

/** An export ready to be written: its header, then its records, read as they are consumed. */
export interface ExportPlan {
  scope: "group" | "account";
  id: string;
  format: ExportQuery["format"];
  exportedAt: string;
  /** Every record after the header, ending with `end`. */
  records(): AsyncGenerator<ExportRecord>;
}

/** What a JSON export may hold (the edge's config). */
export type JsonLimits = Pick<EdgeContext["config"], "EXPORT_JSON_MAX_EVENTS" | "EXPORT_JSON_MAX_LLM_CALLS">;

/** Refuses a JSON export over the limits, naming `format`: one document is held whole in memory. */
export function assertJsonFits(
  limits: JsonLimits,
  format: ExportQuery["format"],
  extents: GroupExtent[],
): void {
  if (format !== "json") return;
  const events = extents.reduce((n, e) => n + e.events, 0);
  const calls = extents.reduce((n, e) => n + e.llmCalls, 0);
  const over: string[] = [];
  if (events > limits.EXPORT_JSON_MAX_EVENTS)
    over.push(`${events} events (JSON holds at most ${limits.EXPORT_JSON_MAX_EVENTS})`);
  if (calls > limits.EXPORT_JSON_MAX_LLM_CALLS)
    over.push(`${calls} LLM calls (JSON holds at most ${limits.EXPORT_JSON_MAX_LLM_CALLS})`);
  if (over.length > 0)
    throw new AppError(
      "validation",
      `too large for one JSON document: ${over.join(", ")}; use format=ndjson`,
      {
        fields: [{ path: "query.format", message: `over the JSON limit: ${over.join(", ")}; use ndjson` }],
      },
    );
}

/** The header record of a plan. */
export function headerOf(plan: ExportPlan): ExportRecord {
  return {
    kind: "header",
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    scope: plan.scope,
    id: plan.id,
    exportedAt: plan.exportedAt,
  };
}

/** Records with an `end` record counting them by kind. */
export async function* withEnd(records: AsyncIterable<ExportRecord>): AsyncGenerator<ExportRecord> {
  const counts: Record<string, number> = {};
  for await (const r of records) {
    counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    yield r;
  }
  yield { kind: "end", counts };
}
