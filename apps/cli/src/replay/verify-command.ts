import { parseArgs } from "node:util";
import { openDb } from "@conclave/db";
import { loadConfig as orchestratorConfig } from "@conclave/orchestrator";
import { type TurnVerdict, verifyGroup } from "@conclave/orchestrator/verify";
import type { CliConfig } from "../config.js";
import { UsageError } from "../dlq-command.js";

export const VERIFY_USAGE = `replay --verify <groupId> [--turn <turnId>] [--json]
                           re-drives the group's recorded turns through today's strategies, answering every
                           LLM and tool step with its recorded result (no provider or tool is called), and
                           reports each decision that differs from the recorded one; exits 1 on a divergence.
                           Reads the read model at DATABASE_URL (or the embedded PGlite)`;

/** `conclave replay --verify`: the regression check of a strategy or rule change over recorded turns. */
export async function verifyReplay(
  config: CliConfig,
  argv: string[],
  env: Record<string, string | undefined>,
) {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n${VERIFY_USAGE}`);
  }
  const [groupId, ...extra] = parsed.positionals;
  if (!groupId || extra.length > 0)
    throw new UsageError(`replay --verify needs one group id\n${VERIFY_USAGE}`);
  // The turn defaults a group without its own limits ran with: the orchestrator's configuration.
  const defaults = orchestratorConfig(env);
  const db = await openDb({
    ...(config.DATABASE_URL ? { url: config.DATABASE_URL } : { pgliteDir: config.PGLITE_DIR }),
    poolSize: 1,
  });
  try {
    const t0 = performance.now();
    const verdicts = await verifyGroup({
      db: db.db,
      groupId,
      turnId: parsed.values.turn,
      defaults: {
        turnTimeoutMs: defaults.TURN_TIMEOUT_MS,
        maxAgentSteps: defaults.TURN_MAX_AGENT_STEPS,
        voteDeadlineMs: defaults.VOTE_DEADLINE_MS,
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    if (parsed.values.json) process.stdout.write(`${JSON.stringify(verdicts, null, 2)}\n`);
    else process.stdout.write(report(verdicts, seconds));
    if (verdicts.some((v) => !v.ok)) process.exitCode = 1;
  } finally {
    await db.close();
  }
}

function report(verdicts: TurnVerdict[], seconds: number): string {
  const lines: string[] = [];
  for (const v of verdicts) {
    lines.push(`${v.ok ? "ok  " : "DIFF"} turn ${v.turnId}: ${v.decisions} decisions`);
    for (const d of v.divergences) {
      lines.push(`     ${d.kind} ${d.type} ${d.id}${d.detail ? ` (${d.detail})` : ""}`);
      if (d.recorded) lines.push(`       recorded: ${JSON.stringify(d.recorded)}`);
      if (d.now) lines.push(`       now:      ${JSON.stringify(d.now)}`);
    }
  }
  const events = verdicts.reduce((n, v) => n + v.events, 0);
  const rate = seconds > 0 ? `, ${Math.round(events / seconds)} events/s` : "";
  lines.push(`${verdicts.length} turns, ${events} events in ${seconds.toFixed(2)} s${rate}`);
  return `${lines.join("\n")}\n`;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { verify: { type: "boolean" }, turn: { type: "string" }, json: { type: "boolean" } },
  });
}
