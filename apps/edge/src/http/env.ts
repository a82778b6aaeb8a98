import type { Principal } from "@conclave/auth";

/** The edge's Hono environment: routes behind authentication find the caller here. */
export interface EdgeEnv {
  Variables: { principal: Principal; clientIp: string };
}
