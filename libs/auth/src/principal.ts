import { AppError } from "@conclave/errors";

export const SCOPES = ["read", "write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** What a widget key may reach: one group, from the page origins listed (exact `scheme://host[:port]`). */
export interface WidgetGrant {
  groupId: string;
  origins: readonly string[];
}

/** Who is calling, and what they may do, whatever the credential. */
export interface Principal {
  accountId: string;
  accountRole: "admin" | "member";
  via: "token" | "api_key";
  scopes: ReadonlySet<Scope>;
  /** The session behind an access token. */
  sessionId?: string;
  apiKeyId?: string;
  /** A per-key limit, when the key has one. */
  rateLimitPerMinute?: number;
  /** Set for a widget key: it carries no scopes, only post and read in this one group. */
  widget?: WidgetGrant;
  /** When the credential stops working by itself (token, session or key expiry; epoch ms), if it does. */
  expiresAt?: number;
}

/** Throws 403 unless the principal's credential carries `scope`. */
export function requireScope(p: Principal, scope: Scope): void {
  if (!p.scopes.has(scope)) throw new AppError("forbidden", `this credential lacks the ${scope} scope`);
}

/** The scopes of a person's own session: everything, and admin only for account admins. */
export function userScopes(role: "admin" | "member"): ReadonlySet<Scope> {
  return new Set<Scope>(role === "admin" ? ["read", "write", "admin"] : ["read", "write"]);
}
