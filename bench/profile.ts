/**
 * `npm run bench:profile`: CPU profiles of every app while turns run at once over many groups,
 * summarised per app: where the self time goes by package and by function, counted only while the
 * load ran (start-up and shutdown left out). The raw `.cpuprofile` files stay for a closer look
 * (Chrome DevTools or speedscope open them).
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { AppName } from "@conclave/testing";
import { measureSystemThroughput, startBenchSystem } from "./conclave-system.js";

const { values: flags } = parseArgs({
  options: {
    clients: { type: "string", default: "64" },
    groups: { type: "string", default: "64" },
    "turns-per-client": { type: "string", default: "10" },
    top: { type: "string", default: "25" },
    out: { type: "string", default: new URL("./results/profiles/", import.meta.url).pathname },
  },
});
const clients = Number(flags.clients);
const groups = Number(flags.groups);
const turnsPerClient = Number(flags["turns-per-client"]);
const turns = clients * turnsPerClient;
const top = Number(flags.top);
const outDir = flags.out ?? "";
const progress = (line: string) => process.stderr.write(`${line}\n`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Monotonic microseconds, the clock V8 stamps its samples with. */
const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

function packageOf(url: string): string {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return "node";
  const m = /\/(apps|libs)\/([^/]+)\//.exec(url) ?? /\/(subjects)\//.exec(url);
  return m ? (m[1] === "subjects" ? "@conclave/subjects" : `${m[1]}/${m[2]}`) : url;
}

function summarise(profile: CpuProfile, from: number, to: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByFn = new Map<string, number>();
  const selfByPkg = new Map<string, number>();
  let t = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) return;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)" || functionName === "(program)") return;
    total += dt;
    const short = url.replace(/^.*\/(node_modules|apps|libs|subjects)\//, "$1/");
    const fn = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
    selfByFn.set(fn, (selfByFn.get(fn) ?? 0) + dt);
    const pkg = functionName === "(garbage collector)" ? "(gc)" : packageOf(url);
    selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + dt);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalMs: total / 1000, byPackage: sorted(selfByPkg), byFunction: sorted(selfByFn) };
}

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
progress(`starting the system with CPU profiles in ${outDir}`);
const bench = await startBenchSystem({ nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${outDir}`] });
const { sys } = bench;
const pids = new Map<number, AppName>(sys.apps.flatMap((a) => (a.pid ? [[a.pid, a.app] as const] : [])));
let window: [number, number];
try {
  progress(`warm-up: ${clients} clients, 2 turns each`);
  await measureSystemThroughput(bench, { clients, groups, turnsPerClient: 2 });
  progress(`profiling: ${clients} clients on ${groups} groups, ${turnsPerClient} turns each`);
  const from = nowMicros();
  const r = await measureSystemThroughput(bench, { clients, groups, turnsPerClient });
  window = [from, nowMicros()];
  progress(`${((r.turns / r.wallMs) * 1000).toFixed(1)} turns/s while profiled`);
} finally {
  await bench.stop();
}

for (const file of (await readdir(outDir)).filter((f) => f.endsWith(".cpuprofile"))) {
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile
  const pid = Number(file.split(".")[3]);
  const app = pids.get(pid) ?? `pid ${pid}`;
  const profile = JSON.parse(await readFile(`${outDir}/${file}`, "utf8")) as CpuProfile;
  const s = summarise(profile, window[0], window[1]);
  if (s.totalMs < 1) continue; // a worker thread that idled
  const perTurn = (us: number) => (us / 1000 / turns).toFixed(3);
  process.stdout.write(
    `\n## ${app} (${file}): ${s.totalMs.toFixed(0)} ms busy, ${(s.totalMs / turns).toFixed(2)} ms per turn\n`,
  );
  process.stdout.write("self ms/turn  share  package\n");
  for (const [pkg, us] of s.byPackage)
    process.stdout.write(
      `${perTurn(us).padStart(12)}  ${((us / 1000 / s.totalMs) * 100).toFixed(1).padStart(4)}%  ${pkg}\n`,
    );
  process.stdout.write("self ms/turn  share  function\n");
  for (const [fn, us] of s.byFunction)
    process.stdout.write(
      `${perTurn(us).padStart(12)}  ${((us / 1000 / s.totalMs) * 100).toFixed(1).padStart(4)}%  ${fn}\n`,
    );
}
