import { AppError } from "@conclave/errors";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { EdgeContext } from "../context.js";
import { fenceWidget } from "../widget/widget-fence.js";
import type { EdgeEnv } from "./env.js";

function clientIp(ctx: EdgeContext, c: Context): string {
  if (ctx.config.TRUST_PROXY) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Takes one token from the shared bucket. While the event bus (which holds the buckets) is down,
 * requests pass unlimited rather than fail: reads keep working through a NATS outage, and posts
 * answer 503 anyway. Login throttling does not take this path: it fails closed.
 */
async function limit(ctx: EdgeContext, key: string, perMinute: number, burst: number): Promise<void> {
  if (!ctx.busUp()) return;
  let d: Awaited<ReturnType<EdgeContext["limiter"]["take"]>>;
  try {
    d = await ctx.limiter.take(key, { perMinute, burst });
  } catch (e) {
    ctx.log.warn({ err: e }, "rate limit store unavailable; request not limited");
    return;
  }
  if (!d.allowed) {
    throw new AppError("rate_limited", "too many requests", {
      retryAfterSeconds: Math.max(1, Math.ceil(d.retryAfterMs / 1000)),
    });
  }
}

/** Unauthenticated routes: limited per client address. */
export function perAddress(ctx: EdgeContext): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const ip = clientIp(ctx, c);
    c.set("clientIp", ip);
    await limit(ctx, `ip:${ip}`, ctx.config.RATE_LIMIT_IP_PER_MINUTE, ctx.config.RATE_LIMIT_IP_BURST);
    await next();
  };
}

/** Authenticated routes: the bearer credential becomes the principal, then a per-key or per-user limit. */
export function authenticated(ctx: EdgeContext): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const p = await ctx.auth.fromHeader(c.req.header("authorization"));
    c.set("principal", p);
    if (p.apiKeyId) {
      // Keys stored before the cap at creation may carry more than the deployment allows.
      const perMinute = Math.min(
        p.rateLimitPerMinute ?? Number.POSITIVE_INFINITY,
        ctx.config.RATE_LIMIT_PER_MINUTE,
      );
      await limit(
        ctx,
        `key:${p.apiKeyId}`,
        perMinute,
        Math.min(ctx.config.RATE_LIMIT_BURST, Math.max(1, perMinute)),
      );
    } else {
      await limit(ctx, `user:${p.accountId}`, ctx.config.RATE_LIMIT_PER_MINUTE, ctx.config.RATE_LIMIT_BURST);
    }
    // After the limit: a key used where it may not be still spends its own tokens.
    if (p.widget)
      fenceWidget(p.widget, { method: c.req.method, path: c.req.path, origin: c.req.header("origin") });
    await next();
  };
}
