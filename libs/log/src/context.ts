import { context, createContextKey, isSpanContextValid, trace } from "@opentelemetry/api";

const FIELDS = createContextKey("conclave.log-fields");

export type LogFields = Record<string, string | number | undefined>;

/** Runs `fn` with `fields` (a request id, say) on every log line written inside it, awaited work included. */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  const ctx = context.active();
  const parent = ctx.getValue(FIELDS) as LogFields | undefined;
  return context.with(ctx.setValue(FIELDS, parent ? { ...parent, ...fields } : fields), fn);
}

/** What every log line gets from where it is written: the active trace and span, and the fields above. */
export function contextFields(): LogFields {
  const ctx = context.active();
  const fields = ctx.getValue(FIELDS) as LogFields | undefined;
  const sc = trace.getSpan(ctx)?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return fields ?? {};
  return { ...fields, traceId: sc.traceId, spanId: sc.spanId };
}
