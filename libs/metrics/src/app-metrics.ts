import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type ConsumerMetrics, consumerMetrics } from "./consumer-metrics.js";

/** Seconds buckets for request and handler latency: 1 ms to 30 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds buckets for whole turns and LLM calls: 10 ms to 10 min. */
export const LONG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * One app's metrics: its own registry (never the global default), every series labelled with
 * `app`, so apps sharing one process (embedded development mode) never collide.
 */
export interface AppMetrics {
  readonly app: string;
  readonly registry: Registry;
  /** The consumer wrapper's series (handler latency, dead letters, lag sampled at scrape time). */
  readonly consumers: ConsumerMetrics;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    collect?: (g: Gauge<L>) => void | Promise<void>,
  ): Gauge<L>;
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: number[],
  ): Histogram<L>;
  /** The Prometheus text exposition of every series. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Creates the metrics of one app (process and Node.js runtime series included). */
export function createAppMetrics(app: string, options: { defaults?: boolean } = {}): AppMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: "conclave_" });
  const m: Omit<AppMetrics, "consumers"> = {
    app,
    registry,
    counter: (name, help, labelNames = []) =>
      new Counter({ name, help, labelNames: [...labelNames], registers: [registry] }),
    gauge: (name, help, labelNames = [], collect) =>
      new Gauge({
        name,
        help,
        labelNames: [...labelNames],
        registers: [registry],
        ...(collect
          ? {
              collect() {
                return collect(this);
              },
            }
          : {}),
      }),
    histogram: (name, help, labelNames = [], buckets = LATENCY_BUCKETS) =>
      new Histogram({ name, help, labelNames: [...labelNames], buckets, registers: [registry] }),
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
  return { ...m, consumers: consumerMetrics(m) };
}
