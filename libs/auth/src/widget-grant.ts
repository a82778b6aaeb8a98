import { AppError } from "@conclave/errors";
import type { GroupAction } from "./group-access.js";
import type { Principal, WidgetGrant } from "./principal.js";

/**
 * An origin as browsers send it (`scheme://host[:port]`, lower-case, no default port), or undefined
 * when `raw` is not one: only http(s), no path, query, fragment or credentials.
 */
export function normalizeOrigin(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== "/" || /^[a-z]+:\/\/[^/]+\/./i.test(raw)) return undefined;
  return `${url.protocol}//${url.host}`;
}

/** True when the request's `Origin` header is exactly one the widget key lists. */
export function originAllowed(grant: WidgetGrant, origin: string | undefined): boolean {
  if (!origin) return false;
  const o = normalizeOrigin(origin);
  return o !== undefined && o === origin.toLowerCase() && grant.origins.includes(o);
}

/** Throws 403 when the principal is a widget key used without an `Origin` it lists; other credentials pass. */
export function requireWidgetOrigin(p: Principal, origin: string | undefined): void {
  if (p.widget && !originAllowed(p.widget, origin))
    throw new AppError("forbidden", "this widget key may not be used from this origin");
}

/**
 * A widget key reaches its own group only (any other is 404, as to every outsider), and there only
 * reads and posts (anything else is 403).
 */
export function judgeWidget(grant: WidgetGrant, groupId: string, action: GroupAction): void {
  if (groupId !== grant.groupId) throw new AppError("not_found", `no group ${groupId}`);
  if (action !== "read" && action !== "post")
    throw new AppError("forbidden", `a widget key may not ${action} in a group`);
}
