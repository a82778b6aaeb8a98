import type { Principal } from "@conclave/auth";

/**
 * The edge's Hono environment: routes behind authentication find the caller here, unauthenticated
 * (per-address limited) routes the client's address.
 */
export interface EdgeEnv {
  Variables: { principal: Principal; clientIp: string };
}
