import { createRoute, z } from "@hono/zod-openapi";
import type { EdgeContext } from "../context.js";
import { authenticated, perAddress } from "../http/guards.js";
import { bearer, json, jsonBody, problems, router } from "../http/openapi.js";
import { requireJson } from "../http/validate.js";
import { login } from "./login.js";
import { register } from "./register.js";
import { Credentials, MeView, RefreshBody, RegisteredView, TokenPairView } from "./schemas.js";
import { getMe, logout, logoutAll, refreshSession } from "./sessions.js";

const tags = ["Accounts"];

const registerRoute = createRoute({
  method: "post",
  path: "/register",
  tags,
  summary: "Create an account and sign in",
  security: [],
  middleware: [requireJson],
  request: jsonBody(Credentials),
  responses: {
    201: json(RegisteredView, "The account, signed in."),
    ...problems(400, 409, 413, 429),
  },
});

const loginRoute = createRoute({
  method: "post",
  path: "/login",
  tags,
  summary: "Sign in with email and password",
  description:
    "A wrong password and an unknown email get the same 401. Failures are slowed, then blocked (429), per address and per account.",
  security: [],
  middleware: [requireJson],
  request: jsonBody(Credentials),
  responses: { 200: json(TokenPairView, "A token pair."), ...problems(400, 401, 413, 429, 503) },
});

const refreshRoute = createRoute({
  method: "post",
  path: "/refresh",
  tags,
  summary: "Exchange a refresh token for a new pair",
  description: "Each refresh token works once; a reused one revokes its whole session.",
  security: [],
  middleware: [requireJson],
  request: jsonBody(RefreshBody),
  responses: { 200: json(TokenPairView, "A new token pair."), ...problems(400, 401, 413, 429) },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/logout",
  tags,
  summary: "End the session a refresh token belongs to",
  security: [],
  middleware: [requireJson],
  request: jsonBody(RefreshBody),
  responses: { 204: { description: "Session ended." }, ...problems(400, 413, 429) },
});

const logoutAllRoute = createRoute({
  method: "post",
  path: "/logout-all",
  tags,
  summary: "End every session of the caller",
  security: bearer,
  responses: {
    200: json(z.object({ sessionsEnded: z.number().int() }), "How many sessions ended."),
    ...problems(401, 403, 429),
  },
});

const meRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The caller's account, how they authenticated, their scopes",
  security: bearer,
  responses: { 200: json(MeView, "The caller."), ...problems(401, 429) },
});

/** Account routes: the open ones (limited per address), the signed-in ones, and `/v1/me`. */
export function authRoutes(ctx: EdgeContext) {
  const open = router();
  open.use(perAddress(ctx));
  open.openapi(registerRoute, async (c) => c.json(await register({ ctx, input: c.req.valid("json") }), 201));
  open.openapi(loginRoute, async (c) =>
    c.json(await login({ ctx, input: c.req.valid("json"), clientIp: c.get("clientIp") }), 200),
  );
  open.openapi(refreshRoute, async (c) =>
    c.json(await refreshSession({ ctx, refreshToken: c.req.valid("json").refreshToken }), 200),
  );
  open.openapi(logoutRoute, async (c) => {
    await logout({ ctx, refreshToken: c.req.valid("json").refreshToken });
    return c.body(null, 204);
  });
  const signedIn = router();
  signedIn.use(authenticated(ctx));
  signedIn.openapi(logoutAllRoute, async (c) =>
    c.json(await logoutAll({ ctx, principal: c.get("principal") }), 200),
  );
  const me = router();
  me.use(authenticated(ctx));
  me.openapi(meRoute, async (c) => c.json(await getMe({ ctx, principal: c.get("principal") }), 200));
  return { open, signedIn, me };
}
