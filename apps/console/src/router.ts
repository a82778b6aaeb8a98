import { useEffect, useState } from "react";

/** The console's pages live under /console; the edge answers every such path with the same page. */
export const BASE = "/console";

export type Route =
  | { page: "groups" }
  | { page: "new-group" }
  | { page: "room"; groupId: string }
  | { page: "members"; groupId: string }
  | { page: "memory"; groupId: string }
  | { page: "widget"; groupId: string }
  | { page: "timeline"; groupId: string; turnId: string }
  | { page: "usage" }
  | { page: "agents" }
  | { page: "agent"; agentId: string }
  | { page: "not-found" };

/** The route of a path under /console. */
export function parseRoute(pathname: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split("/").filter(Boolean);
  const [a, b, c, d] = parts;
  if (parts.length === 0 || (a === "groups" && parts.length === 1)) return { page: "groups" };
  if (a === "groups" && b === "new" && parts.length === 2) return { page: "new-group" };
  if (a === "groups" && b && parts.length === 2) return { page: "room", groupId: b };
  if (a === "groups" && b && c === "members" && parts.length === 3) return { page: "members", groupId: b };
  if (a === "groups" && b && c === "memory" && parts.length === 3) return { page: "memory", groupId: b };
  if (a === "groups" && b && c === "widget" && parts.length === 3) return { page: "widget", groupId: b };
  if (a === "groups" && b && c === "turns" && d && parts.length === 4)
    return { page: "timeline", groupId: b, turnId: d };
  if (a === "usage" && parts.length === 1) return { page: "usage" };
  if (a === "agents" && parts.length === 1) return { page: "agents" };
  if (a === "agents" && b && parts.length === 2) return { page: "agent", agentId: b };
  return { page: "not-found" };
}

const listeners = new Set<() => void>();

export function navigate(to: string): void {
  const url = to.startsWith(BASE) ? to : `${BASE}${to}`;
  window.history.pushState(null, "", url);
  for (const l of listeners) l();
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}
