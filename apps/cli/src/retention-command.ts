import { connectBus } from "@conclave/bus";
import { openDb } from "@conclave/db";
import { createLogger, type Logger } from "@conclave/log";
import {
  createRetention,
  type GroupRetention,
  RETAINED_TABLES,
  type RetentionReport,
} from "@conclave/recorder";
import { names as namesOf } from "@conclave/subjects";
import type { CliConfig } from "./config.js";
import { UsageError } from "./dlq-command.js";

export const RETENTION_USAGE = `retention run [--dry-run] [--group <id>] [--json] [--now <iso time>]
                           remove history older than each group's settings.retentionDays (--dry-run: list it, change nothing)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses `retention run …` into the options of a run. */
export function parseRetentionArgs(args: string[], usage: string) {
  const [sub, ...rest] = args;
  if (sub !== "run") throw new UsageError(`unknown retention command\n${usage}`);
  const options: { dryRun: boolean; json: boolean; groupId?: string; now?: Date } = {
    dryRun: false,
    json: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--dry-run") options.dryRun = true;
    else if (a === "--json") options.json = true;
    else if (a === "--group") {
      const id = rest[++i] ?? "";
      if (!UUID.test(id)) throw new UsageError(`--group is a group id\n${usage}`);
      options.groupId = id.toLowerCase();
    } else if (a === "--now") {
      // Shows what a sweep at a later time would take (the cut-off moves with it).
      const now = new Date(rest[++i] ?? "");
      if (Number.isNaN(now.getTime())) throw new UsageError(`--now is an ISO time\n${usage}`);
      options.now = now;
    } else throw new UsageError(`unknown option ${a}\n${usage}`);
  }
  return options;
}

/** `conclave retention run`: needs the database and a NATS identity that may purge the conv stream (the admin one). */
export async function retention(
  config: CliConfig,
  args: string[],
  usage: string,
  // The report is stdout's; what happened along the way (per group) is logged beside it on stderr.
  log: Logger = createLogger({ app: "conclave", level: config.LOG_LEVEL, destination: process.stderr }),
): Promise<string> {
  const { json, ...options } = parseRetentionArgs(args, usage);
  const nc = await connectBus({
    url: config.NATS_URL,
    name: "conclave-cli",
    log,
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
  });
  const handle = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 2 });
  try {
    const report = await createRetention({
      db: handle.db,
      nc,
      names: namesOf(config.CONCLAVE_NS),
      log,
    }).run(options);
    return json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report);
  } finally {
    await handle.close();
    await nc.close();
  }
}

/** One paragraph per group: what goes (or went) from the stream, each table, memory, files and checkpoints. */
export function formatReport(report: RetentionReport): string {
  const verb = report.dryRun ? "would remove" : "removed";
  const head = `retention ${report.dryRun ? "dry run" : "run"} at ${report.now}: ${report.groups.length} group(s) with a limit, ${report.ms} ms\n`;
  return head + report.groups.map((g) => formatGroup(g, verb)).join("");
}

function formatGroup(g: GroupRetention, verb: string): string {
  const days = `${g.retentionDays} ${g.retentionDays === 1 ? "day" : "days"}`;
  const lines = [`group ${g.groupId} (${days}, cut-off ${g.cutoff}):`];
  if (g.keepFromSeq === null) return `${lines[0]} nothing recorded\n`;
  const held = g.heldBy.length > 0 ? ` (held back by: ${g.heldBy.join(", ")})` : "";
  lines.push(
    `  keeps seq ${g.keepFromSeq} on${held}`,
    `  stream ${g.stream.filter}: ${verb} ${g.stream.messages} message(s) below seq ${g.keepFromSeq}`,
    `  rows: ${RETAINED_TABLES.map((t) => `${t} ${g.rows[t]}`).join(", ")}`,
    `  turns: ${g.turnIds.length}, files: ${g.fileIds.length}, memory window entries: ${g.memoryEntries}, checkpoint keys: ${g.checkpointKeys.length}`,
  );
  return `${lines.join("\n")}\n`;
}
