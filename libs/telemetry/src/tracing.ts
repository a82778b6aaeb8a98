import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

export interface TracingOptions {
  /** `service.name` of the spans (one per process: `conclave-edge`, or `conclave` when embedded). */
  service: string;
  /** OTLP/HTTP endpoint (`http://collector:4318`); spans go to `<endpoint>/v1/traces`. */
  endpoint?: string | undefined;
  /** Share of new traces recorded (a caller's sampled `traceparent` is followed either way). */
  sampleRatio?: number;
  /** Tests: record into this exporter, span by span. */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** True when spans are recorded and exported; otherwise only trace ids travel. */
  readonly recording: boolean;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

let installed: { tracing: Tracing; users: number } | undefined;

/**
 * Installs the process's tracer provider, context manager (AsyncLocalStorage) and W3C propagator.
 * Without an exporter nothing is recorded, but every span still gets its own id under its
 * parent's trace, so trace ids reach events and log lines at the cost of an id. Apps composed in
 * one process share the first installation.
 */
export async function startTracing(o: TracingOptions): Promise<Tracing> {
  const exporter = o.exporter ?? (o.endpoint && !installed ? await otlp(o.endpoint) : undefined);
  // The first start wins, also over one that finished while this one loaded its exporter.
  if (installed) {
    installed.users++;
    return shared(installed.tracing);
  }
  const processors: SpanProcessor[] = [];
  if (o.exporter) processors.push(new SimpleSpanProcessor(o.exporter));
  else if (exporter) processors.push(new BatchSpanProcessor(exporter, { maxQueueSize: 8192 }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: o.service }),
    sampler: exporter
      ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRatio ?? 1) })
      : new AlwaysOffSampler(),
    spanProcessors: processors,
  });
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracing: Tracing = {
    recording: exporter !== undefined,
    async shutdown() {
      if (!installed || --installed.users > 0) return;
      installed = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  installed = { tracing, users: 1 };
  return tracing;
}

function shared(first: Tracing): Tracing {
  return { recording: first.recording, shutdown: () => first.shutdown() };
}

/** Loaded only when spans are exported: it is a large part of the start-up otherwise. */
async function otlp(endpoint: string): Promise<SpanExporter> {
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
  return new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/traces` });
}

/** True when this process records spans (an exporter is installed); otherwise only ids travel. */
export function tracingRecords(): boolean {
  return installed?.tracing.recording ?? false;
}
