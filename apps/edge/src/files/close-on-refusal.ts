import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { MiddlewareHandler } from "hono";
import type { EdgeEnv } from "../http/env.js";

/** How long a refused upload's connection still takes (and drops) what the client sends. */
const LINGER_MS = 2000;

/**
 * Closes the connection after a refused upload. Its body may be left unread (refused before it
 * was read, or cut at the cap), and a client that reused the connection would then have its next
 * request cut off when the server drops the rest. The close lingers (as nginx's lingering_close):
 * the answer is followed by a FIN, and what the client still sends is read and dropped for a
 * while, because closing with it unread sends a reset that can destroy the answer before the
 * client has read it (the client sees EPIPE instead of the 413).
 */
export const closeOnRefusal: MiddlewareHandler<EdgeEnv> = async (c, next) => {
  await next();
  if (c.res.status < 400) return;
  c.res.headers.set("connection", "close");
  const socket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket;
  if (socket) lingerOnClose(socket);
};

/** Node's server ends a `Connection: close` response with `destroySoon()`: it ends and lingers instead. */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    if (socket.destroyed) return;
    socket.end();
    // The HTTP parser goes on reading (and discarding) the body until the client stops or this ends.
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
}
