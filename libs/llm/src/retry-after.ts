/**
 * How long a `Retry-After` value asks to wait, in ms: delay-seconds or an HTTP date (RFC 9110
 * §10.2.3); undefined when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  // Integers per the RFC; some servers send fractions, which cost nothing to accept.
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its day and month; without letters, Date.parse would read "-5" as a year.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The wait a response's headers ask for: `retry-after-ms` (sent by Anthropic and OpenAI-style
 * servers, finer than seconds) first, then `Retry-After`.
 */
export function retryAfterFromHeaders(
  headers: { get(name: string): string | null },
  now: number = Date.now(),
): number | undefined {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  return parseRetryAfter(headers.get("retry-after"), now);
}
