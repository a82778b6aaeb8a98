/** Tests record spans in memory with it (`startTracing({ exporter })`). */
export { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
export {
  type Attributes,
  inSpan,
  inSpanSync,
  linkToActive,
  markFailed,
  type Span,
  SpanKind,
  type SpanOptions,
} from "./spans.js";
export { contextFrom, currentTraceId, currentTraceparent, traceIdOf } from "./traceparent.js";
export { startTracing, type Tracing, type TracingOptions, tracingRecords } from "./tracing.js";
