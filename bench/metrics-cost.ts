// What the metrics add to the hot path: the consumer wrapper's per-message observation and the
// HTTP middleware's per-request one, against the same loop without them.
import { createAppMetrics, httpMetrics } from "@conclave/metrics";
import { Hono } from "hono";

const N = 200_000;

function time(label: string, fn: () => void | Promise<void>, n = N) {
  return async () => {
    for (let i = 0; i < 2_000; i++) await fn();
    const t0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    const cpu = process.cpuUsage(t0);
    const wall = performance.now() - w0;
    const perOp = ((cpu.user + cpu.system) * 1000) / n;
    console.log(
      `${label.padEnd(44)} ${perOp.toFixed(0).padStart(6)} ns CPU/op  (${((wall * 1e6) / n).toFixed(0)} ns wall)`,
    );
    return perOp;
  };
}

function syncTime(label: string, fn: () => void, n = 1_000_000): number {
  for (let i = 0; i < 10_000; i++) fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const cpu = process.cpuUsage(t0);
  const perOp = ((cpu.user + cpu.system) * 1000) / n;
  console.log(`${label.padEnd(44)} ${perOp.toFixed(0).padStart(6)} ns CPU/op`);
  return perOp;
}

const m = createAppMetrics("bench", { defaults: false });
const observer = m.consumers.track({
  stream: "s",
  consumer: "c",
  info: async () => ({ num_pending: 0, num_ack_pending: 0, num_redelivered: 0 }),
});
const consumer = syncTime("consumer: observe one handled message", () => {
  const t0 = performance.now();
  observer.handled("ack", (performance.now() - t0) / 1000);
});
const h = m.histogram("bench_seconds", "Bench.", ["route", "method", "status"]);
const labelled = syncTime("http: one labelled histogram observation", () => {
  h.observe({ route: "/v1/groups/:groupId/messages", method: "POST", status: "202" }, 0.001);
});

const bare = new Hono();
bare.post("/v1/groups/:groupId/messages", (c) => c.json({ ok: true }, 202));
const measured = new Hono();
measured.use("*", httpMetrics(m));
measured.post("/v1/groups/:groupId/messages", (c) => c.json({ ok: true }, 202));
const noop = new Hono();
noop.use("*", async (_c, next) => {
  await next();
});
noop.post("/v1/groups/:groupId/messages", (c) => c.json({ ok: true }, 202));
const req = () =>
  new Request("http://x/v1/groups/0193f1b2-0000-7000-8000-000000000000/messages", { method: "POST" });
const without = await time(
  "http: Hono request, no metrics",
  async () => void (await bare.fetch(req())),
  50_000,
)();
const withNoop = await time(
  "http: Hono request, an empty middleware",
  async () => void (await noop.fetch(req())),
  50_000,
)();
const withM = await time(
  "http: Hono request, httpMetrics",
  async () => void (await measured.fetch(req())),
  50_000,
)();
console.log(
  `\nper message: ${consumer.toFixed(0)} ns; per request: ${labelled.toFixed(0)} ns to observe, ${(withM - without).toFixed(0)} ns more end to end (any middleware: ${(withNoop - without).toFixed(0)} ns; noisy on a busy machine)`,
);
