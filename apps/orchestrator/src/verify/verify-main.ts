/**
 * `npm run verify -w @conclave/orchestrator -- <groupId> [--turn <turnId>] [--json]`: re-drives the
 * group's recorded turns with their recorded answers and prints where today's decisions differ.
 * Exits 1 on a divergence. It lives here, not in the CLI, because it runs the orchestrator's own code.
 */
import { parseArgs } from "node:util";
import { openDb } from "@conclave/db";
import { loadConfig } from "../config.js";
import { verifyGroup } from "./verify-group.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { turn: { type: "string" }, json: { type: "boolean" } },
});
const [groupId] = positionals;
if (!groupId) {
  process.stderr.write("usage: verify <groupId> [--turn <turnId>] [--json]\n");
  process.exit(2);
}
const config = loadConfig(process.env);
const db = await openDb({
  ...(config.DATABASE_URL ? { url: config.DATABASE_URL } : { pgliteDir: config.PGLITE_DIR }),
  poolSize: 1,
});
try {
  const t0 = performance.now();
  const verdicts = await verifyGroup({
    db: db.db,
    groupId,
    turnId: values.turn,
    defaults: {
      turnTimeoutMs: config.TURN_TIMEOUT_MS,
      maxAgentSteps: config.TURN_MAX_AGENT_STEPS,
      voteDeadlineMs: config.VOTE_DEADLINE_MS,
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const events = verdicts.reduce((n, v) => n + v.events, 0);
  if (values.json) process.stdout.write(`${JSON.stringify(verdicts, null, 2)}\n`);
  else {
    for (const v of verdicts) {
      process.stdout.write(`${v.ok ? "ok  " : "DIFF"} turn ${v.turnId}: ${v.decisions} decisions\n`);
      for (const d of v.divergences)
        process.stdout.write(
          `     ${d.kind} ${d.type} ${d.id}${d.detail ? ` (${d.detail})` : ""}\n${d.recorded ? `       recorded: ${JSON.stringify(d.recorded)}\n` : ""}${d.now ? `       now:      ${JSON.stringify(d.now)}\n` : ""}`,
        );
    }
    process.stdout.write(`${verdicts.length} turns, ${events} events in ${seconds.toFixed(2)} s\n`);
  }
  if (verdicts.some((v) => !v.ok)) process.exitCode = 1;
} finally {
  await db.close();
}
