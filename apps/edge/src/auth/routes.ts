import { Hono } from "hono";
import type { EdgeContext } from "../context.js";
import type { EdgeEnv } from "../http/env.js";
import { authenticated, perAddress } from "../http/guards.js";
import { jsonBody } from "../http/validate.js";
import { login } from "./login.js";
import { register } from "./register.js";
import { Credentials, RefreshBody } from "./schemas.js";
import { getMe, logout, logoutAll, refreshSession } from "./sessions.js";

export function authRoutes(ctx: EdgeContext) {
  const open = new Hono<EdgeEnv>()
    .use(perAddress(ctx))
    .post("/register", async (c) =>
      c.json(await register({ ctx, input: await jsonBody(c, Credentials) }), 201),
    )
    .post("/login", async (c) =>
      c.json(await login({ ctx, input: await jsonBody(c, Credentials), clientIp: c.get("clientIp") })),
    )
    .post("/refresh", async (c) =>
      c.json(await refreshSession({ ctx, refreshToken: (await jsonBody(c, RefreshBody)).refreshToken })),
    )
    .post("/logout", async (c) => {
      await logout({ ctx, refreshToken: (await jsonBody(c, RefreshBody)).refreshToken });
      return c.body(null, 204);
    });
  const signedIn = new Hono<EdgeEnv>()
    .use(authenticated(ctx))
    .post("/logout-all", async (c) => c.json(await logoutAll({ ctx, principal: c.get("principal") })));
  return {
    open,
    signedIn,
    me: new Hono<EdgeEnv>()
      .use(authenticated(ctx))
      .get("/", async (c) => c.json(await getMe({ ctx, principal: c.get("principal") }))),
  };
}
