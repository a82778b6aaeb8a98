import type { ProxyRoute } from "./proxy-routes-config.js";

/** A segment that would climb out of, or split, the path it sits in once an upstream decodes it. */
function unsafeSegment(segment: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return true;
  }
  return decoded === "." || decoded === ".." || /[/\\]/.test(decoded) || /%2e|%2f|%5c/i.test(decoded);
}

/**
 * Where a request under `route.prefix` goes: the configured upstream's origin, always, with its
 * base path and the request's path below the prefix (or the whole path, without `stripPrefix`).
 * Null for a path outside the prefix, or one that could leave it: dot segments (plain, encoded or
 * double-encoded), encoded slashes and backslashes, empty segments (`//host/...`).
 */
export function upstreamTarget(
  route: Pick<ProxyRoute, "prefix" | "upstream" | "stripPrefix">,
  url: string,
): URL | null {
  const incoming = new URL(url);
  const path = incoming.pathname;
  if (path !== route.prefix && !path.startsWith(`${route.prefix}/`)) return null;
  const rest = path.slice(route.prefix.length);
  const segments = rest.split("/").slice(1);
  for (const [i, segment] of segments.entries())
    if ((segment === "" && i < segments.length - 1) || (segment !== "" && unsafeSegment(segment)))
      return null;
  const upstream = new URL(route.upstream);
  const target = new URL(upstream.origin);
  target.pathname = `${upstream.pathname.replace(/\/$/, "")}${route.stripPrefix ? rest : path}`;
  target.search = incoming.search;
  return target.origin === upstream.origin ? target : null;
}
