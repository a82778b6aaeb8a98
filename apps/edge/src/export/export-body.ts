import { assertNever } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { type ExportPlan, headerOf } from "./export-plan.js";
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportRecord, type GroupExportDocument } from "./schemas.js";

/** Bytes gathered before a chunk is handed to the client: few writes, a bounded buffer. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The plan as NDJSON, one record a line, read as the client takes it (backpressure: nothing is
 * read ahead of the chunk being written). The first record is read before the answer starts, so a
 * failure there is still a problem answer; a later one cuts the answer short, before its `end`.
 */
export async function ndjsonStream(plan: ExportPlan, log: Logger): Promise<ReadableStream<Uint8Array>> {
  const records = plan.records();
  const encoder = new TextEncoder();
  const line = (r: ExportRecord) => `${JSON.stringify(r)}\n`;
  const first = await records.next();
  let pending = line(headerOf(plan)) + (first.done ? "" : line(first.value));
  let done = first.done === true;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          while (!done && pending.length < CHUNK_BYTES) {
            const next = await records.next();
            if (next.done) done = true;
            else pending += line(next.value);
          }
        } catch (err) {
          log.error({ err, scope: plan.scope, id: plan.id }, "export failed mid-stream");
          controller.error(err);
          return;
        }
        if (pending) controller.enqueue(encoder.encode(pending));
        pending = "";
        if (done) controller.close();
      },
      async cancel() {
        await records.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

type GroupPart = GroupExportDocument;

/** The plan as one JSON document (the plan was judged small enough for one). */
export async function jsonDocument(plan: ExportPlan): Promise<Record<string, unknown>> {
  const head = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    scope: plan.scope,
    exportedAt: plan.exportedAt,
  };
  const groups: GroupPart[] = [];
  const account: Record<string, unknown> = { agents: [], apiKeys: [] };
  const current = () => groups.at(-1) as GroupPart;
  for await (const r of plan.records()) {
    switch (r.kind) {
      case "header":
      case "end":
        break;
      case "account": {
        const { kind: _, ...rest } = r;
        account.account = rest;
        break;
      }
      case "agent": {
        const { kind: _, ...rest } = r;
        (account.agents as unknown[]).push(rest);
        break;
      }
      case "api_key": {
        const { kind: _, ...rest } = r;
        (account.apiKeys as unknown[]).push(rest);
        break;
      }
      case "group": {
        const { kind: _, ...group } = r;
        groups.push({
          group,
          seats: [],
          members: [],
          files: [],
          memory: { blocks: [], summary: null, resetSeq: 0 },
          summaries: [],
          votes: [],
          events: [],
          llmCalls: [],
        });
        break;
      }
      case "seat": {
        const { kind: _, groupId: __, ...rest } = r;
        current().seats.push(rest);
        break;
      }
      case "member": {
        const { kind: _, groupId: __, ...rest } = r;
        current().members.push(rest);
        break;
      }
      case "file": {
        const { kind: _, groupId: __, ...rest } = r;
        current().files.push(rest);
        break;
      }
      case "memory": {
        const { kind: _, groupId: __, ...rest } = r;
        current().memory = rest;
        break;
      }
      case "summary": {
        const { kind: _, groupId: __, ...rest } = r;
        current().summaries.push(rest);
        break;
      }
      case "vote": {
        const { kind: _, groupId: __, ...rest } = r;
        current().votes.push(rest);
        break;
      }
      case "event": {
        const { kind: _, groupId: __, ...rest } = r;
        current().events.push(rest);
        break;
      }
      case "llm_call": {
        const { kind: _, groupId: __, ...rest } = r;
        current().llmCalls.push(rest);
        break;
      }
      default:
        return assertNever(r, "export record");
    }
  }
  if (plan.scope === "group") return { ...head, ...(groups[0] ?? {}) };
  return { ...head, ...account, groups };
}
