import type { MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../http/env.js";

/**
 * Closes the connection after a refused upload. Its body may be left unread (refused before it
 * was read, or cut at the cap), and a client that reused the connection would then have its next
 * request cut off when the server drops the rest.
 */
export const closeOnRefusal: MiddlewareHandler<EdgeEnv> = async (c, next) => {
  await next();
  if (c.res.status >= 400) c.res.headers.set("connection", "close");
};
