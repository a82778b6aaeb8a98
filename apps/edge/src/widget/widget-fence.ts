import { originAllowed, type WidgetGrant } from "@conclave/auth";
import { AppError } from "@conclave/errors";

/** The one path a widget key may call on the edge: its group's messages, read (GET) and posted (POST). */
export const WIDGET_PATH = /^\/v1\/groups\/([^/]+)\/messages\/?$/;
const GROUP_PATH = /^\/v1\/groups\/([^/]+)(?:\/|$)/;

/**
 * Deny by default: a widget key gets 404 for another group's paths (as any outsider), 403 for any
 * other route, and 403 unless the request's `Origin` is one the key lists.
 */
export function fenceWidget(
  grant: WidgetGrant,
  request: { method: string; path: string; origin: string | undefined },
): void {
  const group = GROUP_PATH.exec(request.path)?.[1];
  if (group !== undefined && group !== grant.groupId) throw new AppError("not_found", `no group ${group}`);
  const reachable = WIDGET_PATH.test(request.path) && (request.method === "GET" || request.method === "POST");
  if (!reachable) throw new AppError("forbidden", "a widget key may only read and post its group's messages");
  if (!originAllowed(grant, request.origin))
    throw new AppError("forbidden", "this widget key may not be used from this origin");
}
