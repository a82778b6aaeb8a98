import { median, type Summary } from "./stats.js";

/** A latency metric: one summary per run. */
export interface LatencyMetric {
  name: string;
  runs: Summary[];
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

/** One headline figure: the system's value beside its raw baseline from the same run, and the goal. */
export interface Figure {
  name: string;
  value: number;
  baseline?: number;
  baselineName?: string;
  goal?: string;
  /** Throughput-like figures: the ratio reads as baseline over value. */
  higherIsBetter?: boolean;
}

/** The headline table: each figure, its baseline, their ratio (× slower than the baseline), the goal. */
export function figureTable(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const ratio =
      f.baseline === undefined
        ? ""
        : `${num(f.higherIsBetter ? f.baseline / f.value : f.value / f.baseline, 1)}×`;
    return [
      f.name,
      num(f.value, f.value >= 100 ? 0 : 2),
      f.baseline === undefined ? "" : num(f.baseline, f.baseline >= 100 ? 0 : 2),
      ratio,
      f.baselineName ?? "",
      f.goal ?? "",
    ];
  });
  return table(["figure (median)", "conclave", "baseline", "ratio", "baseline is", "goal"], rows);
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);

/**
 * A self-contained SVG: a horizontal bar per process (CPU ms per turn), then the headline figures
 * as text with their ratios.
 */
export function svgChart(title: string, bars: { label: string; value: number }[], figures: Figure[]): string {
  const width = 760;
  const barArea = 440;
  const rowH = 22;
  const left = 170;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const total = bars.reduce((sum, b) => sum + b.value, 0);
  const top = 50;
  const figTop = top + bars.length * rowH + 50;
  const height = figTop + figures.length * 18 + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="24" font-size="15" font-weight="bold">${escapeXml(title)}: ${num(total, 1)} ms in all</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = (b.value / max) * barArea;
    out.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${escapeXml(b.label)}</text>`,
      `<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#4a6fa5"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + 14}">${num(b.value, 2)}</text>`,
    );
  });
  out.push(
    `<text x="10" y="${figTop - 14}" font-size="14" font-weight="bold">Headline figures (median)</text>`,
  );
  figures.forEach((f, i) => {
    const ratio =
      f.baseline === undefined
        ? ""
        : ` (${num(f.higherIsBetter ? f.baseline / f.value : f.value / f.baseline, 1)}× the baseline's ${num(f.baseline, 2)})`;
    const goal = f.goal ? `, goal ${f.goal}` : "";
    out.push(
      `<text x="10" y="${figTop + i * 18}">${escapeXml(`${f.name}: ${num(f.value, 2)}${ratio}${goal}`)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
