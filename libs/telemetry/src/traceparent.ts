import { type Context, context, isSpanContextValid, propagation, trace } from "@opentelemetry/api";

const W3C = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The W3C `traceparent` of the active span (or of `ctx`), if there is a valid one. */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  const span = trace.getSpan(ctx);
  if (!span || !isSpanContextValid(span.spanContext())) return undefined;
  const carrier: { traceparent?: string } = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/**
 * `base` (the active context) with `traceparent` as its remote parent span; `base` unchanged for
 * none or a malformed one.
 */
export function contextFrom(traceparent: string | undefined, base: Context = context.active()): Context {
  if (!traceparent) return base;
  return propagation.extract(base, { traceparent });
}

/** The trace id a `traceparent` names, or undefined when it is not one. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? W3C.exec(traceparent)?.[1] : undefined;
}

/** The trace id of the active span, if any. */
export function currentTraceId(): string | undefined {
  const sc = trace.getSpan(context.active())?.spanContext();
  return sc && isSpanContextValid(sc) ? sc.traceId : undefined;
}
