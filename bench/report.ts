import { median, type Summary } from "./stats.js";

/** A latency metric: one summary per run. */
export interface LatencyMetric {
  name: string;
  runs: Summary[];
}

/** A rate: one value per run. */
export interface RateMetric {
  name: string;
  runs: number[];
}

export interface LatencyMedians {
  p50: number;
  p99: number;
  mean: number;
}

export function latencyMedians(m: LatencyMetric): LatencyMedians {
  return {
    p50: median(m.runs.map((r) => r.p50)),
    p99: median(m.runs.map((r) => r.p99)),
    mean: median(m.runs.map((r) => r.mean)),
  };
}

const num = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "-");

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Per run and median across runs, in ms. */
export function latencyTable(metrics: LatencyMetric[]): string {
  const rows: string[][] = [];
  for (const m of metrics) {
    m.runs.forEach((r, i) => {
      rows.push([i === 0 ? m.name : "", String(i + 1), String(r.n), num(r.p50), num(r.p99), num(r.mean)]);
    });
    const med = latencyMedians(m);
    rows.push(["", "median", "", num(med.p50), num(med.p99), num(med.mean)]);
  }
  return table(["latency (ms)", "run", "n", "p50", "p99", "mean"], rows);
}

/** Ratios of the medians across runs, system over baseline. */
export function ratioTable(
  pairs: { name: string; system: LatencyMetric; baseline: LatencyMetric }[],
): string {
  const rows = pairs.map(({ name, system, baseline }) => {
    const s = latencyMedians(system);
    const b = latencyMedians(baseline);
    return [name, `${num(s.p50 / b.p50, 1)}×`, `${num(s.p99 / b.p99, 1)}×`, `${num(s.mean / b.mean, 1)}×`];
  });
  return table(["ratio system/baseline (medians)", "p50", "p99", "mean"], rows);
}

export function rateTable(metrics: RateMetric[], ratio: { name: string; value: number }): string {
  const runs = Math.max(...metrics.map((m) => m.runs.length));
  const header = ["throughput", ...Array.from({ length: runs }, (_, i) => `run ${i + 1}`), "median"];
  const rows = metrics.map((m) => [m.name, ...m.runs.map((v) => num(v, 1)), num(median(m.runs), 1)]);
  rows.push([ratio.name, ...Array<string>(runs).fill(""), `${num(ratio.value, 3)}×`]);
  return table(header, rows);
}

/** Everything but the machine's other processes (labels in parentheses). */
const ourCpu = (r: Record<string, number>) =>
  Object.entries(r).reduce((sum, [label, ms]) => (label.startsWith("(") ? sum : sum + ms), 0);

/** CPU ms per turn by process, median across runs, per phase; the total is the per-run sum's median. */
export function cpuTable(phases: { name: string; runs: Record<string, number>[] }[]): string {
  const labels = [...new Set(phases.flatMap((p) => p.runs.flatMap((r) => Object.keys(r))))].sort((a, b) =>
    a.startsWith("(") === b.startsWith("(") ? a.localeCompare(b) : a.startsWith("(") ? 1 : -1,
  );
  const cell = (values: number[]) => num(median(values));
  const rows = labels.map((label) => [
    label,
    ...phases.map((p) => cell(p.runs.flatMap((r) => (label in r ? [r[label] ?? 0] : [])))),
  ]);
  rows.splice(labels.filter((l) => !l.startsWith("(")).length, 0, [
    "total of the above",
    ...phases.map((p) => cell(p.runs.map(ourCpu))),
  ]);
  return table(["cpu ms per turn (median)", ...phases.map((p) => p.name)], rows);
}
