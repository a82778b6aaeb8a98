import type { Principal } from "@conclave/auth";

/**
 * The edge's Hono environment: routes behind authentication find the caller here, unauthenticated
 * (per-address limited) routes the client's address.
 */
export interface EdgeEnv {
  Variables: {
    principal: Principal;
    clientIp: string;
    /** Set by a proxy route: the access line names the route, and the upstream's status or failure. */
    proxied?: { prefix: string; upstreamStatus?: number; failure?: string; upstreamMs: number };
  };
}
