/**
 * `npm run bench:auth`: requests per second of `POST /v1/groups/:id/messages` through the real edge
 * (real NATS, real PostgreSQL), authenticated by an access token, by an API key, and with the
 * credential check replaced by a fixed principal (no auth), in the same run; medians of several runs.
 */
import { parseArgs } from "node:util";
import type { Authenticator, Principal } from "@conclave/auth";
import { provision } from "@conclave/bus";
import { type DbHandle, openDb } from "@conclave/db";
import { createEdge, loadConfig } from "@conclave/edge";
import { listen } from "@conclave/http";
import { createTestDatabase, openTestBus, quietLogger } from "@conclave/testing";
import { median } from "./stats.js";

const { values: flags } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
  },
});
const seconds = Number(flags.seconds);
const runs = Number(flags.runs);
const concurrency = Number(flags.concurrency);
const progress = (line: string) => process.stderr.write(`${line}\n`);

const bus = await openTestBus();
await provision(bus.nc, bus.names);
const database = await createTestDatabase();
const db: DbHandle = await openDb({ url: database.url, poolSize: 10 });
const config = loadConfig({
  CONCLAVE_NS: bus.names.ns,
  RATE_LIMIT_PER_MINUTE: "1000000",
  RATE_LIMIT_BURST: "100000",
  RATE_LIMIT_IP_BURST: "1000",
});
const log = quietLogger("edge");

async function serve(authenticator?: Authenticator) {
  const app = await createEdge({ config, nc: bus.nc, db, log, ...(authenticator ? { authenticator } : {}) });
  const http = await listen({ fetch: app.fetch, hostname: "127.0.0.1", port: 0, log, name: "edge" });
  const addr = http.server.address();
  return { url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`, close: http.close };
}

const real = await serve();
const call = async (path: string, body: unknown, token?: string) => {
  const res = await fetch(`${real.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
};
const user = (await call("/v1/auth/register", {
  email: "bench@example.com",
  password: "a long bench password",
})) as { accessToken: string; account: { id: string } };
const key = (
  (await call("/v1/api-keys", { name: "bench", scopes: ["read", "write"] }, user.accessToken)) as {
    key: string;
  }
).key;
const group = (await call("/v1/groups", { name: "bench" }, user.accessToken)) as { id: string };

// "No auth": the same app, the credential check replaced by the principal it would have produced.
const fixed: Principal = {
  accountId: user.account.id,
  accountRole: "member",
  via: "token",
  scopes: new Set(["read", "write"]),
};
const open = await serve({ authenticate: async () => fixed, fromHeader: async () => fixed });

async function rate(baseUrl: string, token: string): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const res = await fetch(`${baseUrl}/v1/groups/${group.id}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ content: "benchmark message" }),
      });
      await res.arrayBuffer();
      if (res.status === 202) done++;
      else failed++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed > 0) throw new Error(`${failed} requests failed`);
  return done / ((performance.now() - t0) / 1000);
}

const variants = [
  { name: "no auth (fixed principal)", url: open.url, token: "unused" },
  { name: "access token (EdDSA JWT + session)", url: real.url, token: user.accessToken },
  { name: "API key (SHA-256 lookup)", url: real.url, token: key },
];
const results: Record<string, number[]> = {};
for (let run = 1; run <= runs; run++) {
  for (const v of variants) {
    const r = await rate(v.url, v.token);
    results[v.name] = [...(results[v.name] ?? []), r];
    progress(`[run ${run}/${runs}] ${v.name}: ${r.toFixed(0)} req/s`);
  }
}
const base = median(results[variants[0]?.name ?? ""] ?? []);
console.log(
  `\nPOST /v1/groups/:id/messages, ${concurrency} in flight, ${seconds} s per run, median of ${runs} runs`,
);
console.log("variant                                 req/s   vs no auth");
for (const v of variants) {
  const m = median(results[v.name] ?? []);
  console.log(`${v.name.padEnd(38)} ${m.toFixed(0).padStart(6)}   ${(m / base).toFixed(2)}×`);
}
await open.close();
await real.close();
await db.close();
await bus.dispose();
await database.drop();
