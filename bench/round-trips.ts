/**
 * `npm run bench:trips`: what one sequential two-agent turn asks of PostgreSQL and NATS, counted
 * rather than timed, so the figures are the same on a busy machine as on a quiet one: statements
 * and transactions per turn (pg_stat_statements, the top statements by calls), and messages and
 * bytes per turn per app connection (nats-server's /connz). A change that adds a round trip to the
 * turn path shows here as a number that moved, whatever else the machine is doing.
 */
import { parseArgs } from "node:util";
import { freePort } from "@conclave/testing";
import postgres from "postgres";
import { createGroup, postMessage, startBenchSystem } from "./conclave-system.js";
import { TurnWatcher } from "./turn-watcher.js";

const { values: flags } = parseArgs({
  options: {
    turns: { type: "string", default: "50" },
    warmup: { type: "string", default: "10" },
    top: { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
const turns = Number(flags.turns);
const warmup = Number(flags.warmup);
const top = Number(flags.top);
if (!Number.isInteger(turns) || turns < 1)
  throw new Error(`--turns must be an integer ≥ 1, got ${flags.turns}`);
if (!Number.isInteger(warmup) || warmup < 0)
  throw new Error(`--warmup must be an integer ≥ 0, got ${flags.warmup}`);

interface ConnStats {
  name: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
}

const monitor = await freePort();
const bench = await startBenchSystem({
  natsConfig: `http: "127.0.0.1:${monitor}"\n`,
  pgSettings: { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all" },
});
const dbName = new URL(bench.sys.db.url).pathname.slice(1);
const admin = postgres(bench.pgAdminUrl, { max: 1, onnotice: () => undefined });

/** Per app (connection name), messages and bytes; the apps' connections are named after them. */
async function connections(): Promise<Map<string, ConnStats>> {
  const res = await fetch(`http://127.0.0.1:${monitor}/connz?limit=1024`);
  const body = (await res.json()) as { connections: ConnStats[] };
  const by = new Map<string, ConnStats>();
  for (const c of body.connections) {
    const name = (c.name || "unnamed").replace(/[-:][0-9a-f]{6,}.*$/i, "");
    const prev = by.get(name) ?? { name, in_msgs: 0, out_msgs: 0, in_bytes: 0, out_bytes: 0 };
    prev.in_msgs += c.in_msgs;
    prev.out_msgs += c.out_msgs;
    prev.in_bytes += c.in_bytes;
    prev.out_bytes += c.out_bytes;
    by.set(name, prev);
  }
  return by;
}

async function xacts(): Promise<number> {
  const [row] = await admin<
    { n: string }[]
  >`select sum(xact_commit + xact_rollback)::text as n from pg_stat_database`;
  return Number(row?.n ?? 0);
}

try {
  await admin`create extension if not exists pg_stat_statements`;
  const groupId = await createGroup(bench.sys, "bench round trips");
  const watcher = await TurnWatcher.open(bench.sys.streamUrl, bench.sys.user.accessToken);
  await watcher.subscribe(groupId);
  const turn = async (i: number) => {
    const turnId = await postMessage(bench.sys, groupId, `turn ${i}`);
    const t = await watcher.ended(turnId);
    if (t.ended?.type !== "turn.completed") throw new Error(`turn ${turnId} ended ${t.ended?.type}`);
  };
  for (let i = 0; i < warmup; i++) await turn(i);
  // Let the recorder and the ledger's batched writes of the warm-up settle before counting.
  await new Promise((r) => setTimeout(r, 1000));
  await admin`select pg_stat_statements_reset()`;
  const xa0 = await xacts();
  const before = await connections();
  for (let i = 0; i < turns; i++) await turn(warmup + i);
  await new Promise((r) => setTimeout(r, 1000));
  const after = await connections();
  const xa1 = await xacts();
  const statements = await admin<{ query: string; calls: string }[]>`
    select query, calls::text from pg_stat_statements
    where query not like '%pg_stat%' and dbid = (select oid from pg_database where datname = ${dbName})
    order by calls desc`;
  await watcher.close();

  const per = (n: number) => Math.round((n / turns) * 100) / 100;
  const totalCalls = statements.reduce((s, r) => s + Number(r.calls), 0);
  const nats = [...after.values()]
    .map((a) => {
      const b = before.get(a.name) ?? { in_msgs: 0, out_msgs: 0, in_bytes: 0, out_bytes: 0 };
      return {
        app: a.name,
        published: per(a.in_msgs - b.in_msgs),
        delivered: per(a.out_msgs - b.out_msgs),
        bytesPublished: per(a.in_bytes - b.in_bytes),
        bytesDelivered: per(a.out_bytes - b.out_bytes),
      };
    })
    .filter((r) => r.published > 0 || r.delivered > 0)
    .sort((x, y) => y.published - x.published);
  const result = {
    turns,
    postgres: {
      statementsPerTurn: per(totalCalls),
      // Less the monitoring's own reads of pg_stat_database (2).
      transactionsPerTurn: per(xa1 - xa0 - 2),
      top: statements.slice(0, top).map((r) => ({
        perTurn: per(Number(r.calls)),
        query: r.query.replace(/\s+/g, " ").slice(0, 140),
      })),
    },
    nats: {
      publishedPerTurn: Math.round(nats.reduce((s, r) => s + r.published, 0) * 100) / 100,
      deliveredPerTurn: Math.round(nats.reduce((s, r) => s + r.delivered, 0) * 100) / 100,
      byApp: nats,
    },
  };
  if (flags.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`\nPer sequential two-agent round-robin turn (${turns} turns after ${warmup} warm-up)`);
    console.log(
      `PostgreSQL: ${result.postgres.statementsPerTurn} statements, ${result.postgres.transactionsPerTurn} transactions`,
    );
    for (const s of result.postgres.top) console.log(`  ${String(s.perTurn).padStart(6)}  ${s.query}`);
    console.log(
      `NATS: ${result.nats.publishedPerTurn} messages published, ${result.nats.deliveredPerTurn} delivered (incl. replies)`,
    );
    console.log("  app              published  delivered  bytes in  bytes out");
    for (const r of nats)
      console.log(
        `  ${r.app.padEnd(16)} ${String(r.published).padStart(9)}  ${String(r.delivered).padStart(9)}  ${String(Math.round(r.bytesPublished)).padStart(8)}  ${String(Math.round(r.bytesDelivered)).padStart(9)}`,
      );
  }
} finally {
  await admin.end({ timeout: 1 });
  await bench.stop();
}
