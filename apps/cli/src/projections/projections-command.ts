import { connectBus, jetstream, jetstreamManager } from "@conclave/bus";
import { openDb } from "@conclave/db";
import type { Logger } from "@conclave/log";
import { names as namesOf } from "@conclave/subjects";
import type { CliConfig } from "../config.js";
import { UsageError } from "../dlq-command.js";
import {
  DEFAULT_BATCH,
  inspectProjections,
  MAX_BATCH,
  PROJECTED_TABLES,
  type ProjectedTable,
  type RebuildProgress,
  rebuildProjections,
} from "./rebuild.js";

export const PROJECTIONS_USAGE = `projections rebuild [--dry-run] [--allow-partial] [--batch N]
                           rebuild the read model (${PROJECTED_TABLES.join(", ")}) from the conv stream and swap it in`;

/** Where progress goes: a TTY gets one line rewritten in place, anything else a line every few seconds. */
export interface ProgressSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

/** `conclave projections rebuild`: needs the database and a NATS identity that may read the conv stream (the admin one). */
export async function projections(
  config: CliConfig,
  args: string[],
  log: Logger,
  usage: string,
  progress: ProgressSink = process.stderr,
): Promise<string> {
  const [sub, ...rest] = args;
  if (sub !== "rebuild") throw new UsageError(`unknown projections command\n${usage}`);
  const known = new Set(["--dry-run", "--allow-partial", "--batch"]);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] ?? "";
    if (!known.has(a)) throw new UsageError(`unknown option ${a}\n${usage}`);
    if (a === "--batch") i++;
  }
  const batchAt = rest.indexOf("--batch");
  const batchSize = batchAt >= 0 ? Number(rest[batchAt + 1]) : DEFAULT_BATCH;
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0 && batchSize <= MAX_BATCH))
    throw new UsageError(`--batch is a number of events from 1 to ${MAX_BATCH}\n${usage}`);

  const nc = await connectBus({
    url: config.NATS_URL,
    name: "conclave-cli",
    log,
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
  });
  const handle = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 1 });
  try {
    const deps = {
      db: handle.db,
      js: jetstream(nc),
      jsm: await jetstreamManager(nc),
      names: namesOf(config.CONCLAVE_NS),
      log,
    };
    if (rest.includes("--dry-run")) {
      const { stream, rows } = await inspectProjections(deps);
      return `stream ${deps.names.stream("conv")}: ${stream.messages} messages, seq ${stream.firstSeq}..${stream.lastSeq}${
        stream.messages > 0 && stream.firstSeq > 1
          ? ` (seq 1..${stream.firstSeq - 1} dropped by retention)`
          : ""
      }\nlive rows: ${formatRows(rows)}\n`;
    }
    const report = progressReporter(progress);
    const r = await rebuildProjections(deps, {
      batchSize,
      allowPartial: rest.includes("--allow-partial"),
      onProgress: report.update,
    });
    report.done();
    const rate = Math.round(r.read / (r.ms / 1000 || 1));
    return (
      `rebuilt from ${deps.names.stream("conv")} seq ${Math.max(1, r.stream.firstSeq)}..${r.upToSeq}: ` +
      `${r.read} messages read (${r.tail} in the swap), ${r.recorded} events projected, ${r.skipped.length} skipped, ` +
      `in ${(r.ms / 1000).toFixed(1)} s (${rate} events/s)\nrows: ${formatRows(r.rows)}\n`
    );
  } finally {
    await handle.close();
    await nc.close();
  }
}

const formatRows = (rows: Record<ProjectedTable, number>) =>
  PROJECTED_TABLES.map((t) => `${t} ${rows[t]}`).join(", ");

/** Formats progress for a terminal (rewritten in place) or a log (a line every 5 s). */
export function progressReporter(sink: ProgressSink, everyMs = 5000) {
  let lastLine = Number.NEGATIVE_INFINITY;
  let wrote = false;
  return {
    update(p: RebuildProgress) {
      const now = performance.now();
      if (!sink.isTTY && now - lastLine < everyMs) return;
      lastLine = now;
      const rate = Math.round(p.events / (p.ms / 1000 || 1));
      const share = p.target > 0 ? ` (${Math.min(100, Math.floor((p.seq / p.target) * 100))}%)` : "";
      const line = `${p.phase}: seq ${p.seq}/${p.target}${share}, ${p.events} events, ${rate} events/s`;
      sink.write(sink.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
      wrote = true;
    },
    done() {
      if (sink.isTTY && wrote) sink.write("\n");
    },
  };
}
