import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { startSystem } from "@conclave/testing";
import { TurnWatcher } from "./turn-watcher.js";

const ticks = (pid: number) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
};
const pidsOf = (name: string) =>
  readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, "utf8").trim().startsWith(name);
      } catch {
        return false;
      }
    });
const sys = await startSystem();
try {
  const g = await sys.post("/v1/groups", { name: "p", agents: [{ name: "A" }, { name: "B" }] });
  const gid = g.body.id as string;
  const w = await TurnWatcher.open(sys.streamUrl);
  await w.subscribe(gid);
  const turn = async (i: number) => {
    const r = await sys.post(`/v1/groups/${gid}/messages`, { content: `t${i}` });
    await w.ended(r.body.turnId as string);
  };
  for (let i = 0; i < 30; i++) await turn(i);
  const procs: [string, number[]][] = [
    ...sys.apps.map((a) => [a.app, [a.pid ?? 0]] as [string, number[]]),
    ["nats-server", pidsOf("nats-server")],
    ["postgres", pidsOf("postgres")],
  ];
  const before = procs.map(([, ps]) => ps.reduce((s, p) => s + ticks(p), 0));
  const cpu0 = process.cpuUsage();
  const N = 200;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await turn(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`wall per turn ${(wall / N).toFixed(2)} ms`);
  procs.forEach(([name, ps], i) => {
    const d = ps.reduce((s, p) => s + ticks(p), 0) - (before[i] ?? 0);
    console.log(`cpu per turn ${name}: ${((d * 10) / N).toFixed(2)} ms`);
  });
  console.log(`cpu per turn bench: ${((cpu.user + cpu.system) / 1000 / N).toFixed(2)} ms`);
  const time = async (what: string, f: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      await f();
      xs.push(performance.now() - s);
    }
    xs.sort((a, b) => a - b);
    console.log(`${what}: p50 ${xs[50]?.toFixed(2)} ms`);
  };
  const counts = new Map<string, number>();
  const spy = sys.bus.nc.subscribe(">", {
    callback: (_e, m) => {
      if (!m.subject.includes(sys.ns)) return;
      const key = m.subject
        .replace(sys.ns, "NS")
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>")
        .replace(/\.\d+(\.\d+)*$/, ".<n>");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  });
  await sys.bus.nc.flush();
  const t1 = performance.now();
  for (let i = 0; i < 100; i++) await turn(i);
  console.log(`with spy: wall per turn ${((performance.now() - t1) / 100).toFixed(2)} ms`);
  spy.unsubscribe();
  for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1]))
    console.log(`  ${(v / 100).toFixed(2)}/turn ${k}`);
  sys.app("recorder").kill("SIGSTOP");
  const t2 = performance.now();
  for (let i = 0; i < 100; i++) await turn(i);
  console.log(`recorder paused: wall per turn ${((performance.now() - t2) / 100).toFixed(2)} ms`);
  sys.app("recorder").kill("SIGCONT");
  await time("GET /healthz", () => sys.get("/healthz"));
  await time("GET /v1/groups/:id", () => sys.get(`/v1/groups/${gid}`));
  await time("POST bad body (400)", () => sys.post(`/v1/groups/${gid}/messages`, {}));
  await time("POST unknown group (404)", () =>
    sys.post(`/v1/groups/0190a000-0000-7000-8000-000000000000/messages`, { content: "x" }),
  );
  await time("POST message", () => sys.post(`/v1/groups/${gid}/messages`, { content: "x" }));
  await w.close();
} finally {
  await sys.stop();
}
