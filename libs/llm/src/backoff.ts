/**
 * The wait before retry number `retry` (1-based): "full jitter", a uniform draw in
 * [0, min(maxMs, baseMs * 2^(retry-1))), so clients that failed together do not retry together.
 */
export function fullJitterDelay(
  retry: number,
  options: { baseMs: number; maxMs: number; random?: () => number },
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}
