import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { contextFrom } from "./traceparent.js";

export type { Attributes, Span };
export { SpanKind };

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent: a `traceparent` of another process, a context, or (absent) the active span. */
  parent?: string | Context | undefined;
  links?: Link[];
}

/**
 * Runs `fn` in a new span of `tracer`'s (child of `parent`), ending it when `fn` settles; a throw
 * marks the span as an error and is rethrown unchanged.
 */
export async function inSpan<T>(
  tracer: string,
  name: string,
  o: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const { span, inside } = start(tracer, name, o);
  try {
    return await context.with(inside, () => fn(span));
  } catch (e) {
    markFailed(span, e);
    throw e;
  } finally {
    span.end();
  }
}

/** `inSpan` for synchronous work. */
export function inSpanSync<T>(tracer: string, name: string, o: SpanOptions, fn: (span: Span) => T): T {
  const { span, inside } = start(tracer, name, o);
  try {
    return context.with(inside, () => fn(span));
  } catch (e) {
    markFailed(span, e);
    throw e;
  } finally {
    span.end();
  }
}

/** Starts the span under its parent; `inside` is the context the work runs in. */
function start(tracer: string, name: string, o: SpanOptions): { span: Span; inside: Context } {
  const parent =
    o.parent === undefined
      ? context.active()
      : typeof o.parent === "string"
        ? contextFrom(o.parent)
        : o.parent;
  const span = trace.getTracer(tracer).startSpan(
    name,
    {
      kind: o.kind ?? SpanKind.INTERNAL,
      ...(o.attributes ? { attributes: o.attributes } : {}),
      ...(o.links ? { links: o.links } : {}),
    },
    parent,
  );
  return { span, inside: trace.setSpan(parent, span) };
}

/** The link to the active span, for a span that starts in another trace because of it. */
export function linkToActive(): Link[] {
  const span = trace.getSpan(context.active());
  return span ? [{ context: span.spanContext() }] : [];
}

/** Marks `span` as failed by `error` (its exception event and error status). */
export function markFailed(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
