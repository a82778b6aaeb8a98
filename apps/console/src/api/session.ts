import type { TokenPair } from "./types.js";

/**
 * The signed-in session. The access token lives in memory only; the refresh token in
 * sessionStorage, so a reload stays signed in while the token never outlives the tab and is not
 * shared with other tabs (localStorage would keep it on disk for every later visit).
 */
const REFRESH_KEY = "conclave.refresh";

let access: { token: string; expiresAt: number } | undefined;
let refreshing: Promise<string | undefined> | undefined;
const listeners = new Set<(signedIn: boolean) => void>();

const storage = (): Storage | undefined => {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
};

export function storeTokens(pair: TokenPair): void {
  // A little early: a token that expires in flight is refused.
  access = { token: pair.accessToken, expiresAt: Date.now() + (pair.expiresIn - 30) * 1000 };
  storage()?.setItem(REFRESH_KEY, pair.refreshToken);
  for (const l of listeners) l(true);
}

export function clearTokens(): void {
  access = undefined;
  storage()?.removeItem(REFRESH_KEY);
  for (const l of listeners) l(false);
}

export const refreshToken = (): string | null => storage()?.getItem(REFRESH_KEY) ?? null;
export const hasSession = (): boolean => access !== undefined || refreshToken() !== null;

export function onSessionChange(listener: (signedIn: boolean) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A valid access token, refreshed (once, however many callers ask at the same time) when needed. */
export async function accessToken(force = false): Promise<string | undefined> {
  if (!force && access && access.expiresAt > Date.now()) return access.token;
  refreshing ??= (async () => {
    const token = refreshToken();
    if (!token) return undefined;
    const res = await fetch("/v1/auth/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: token }),
    });
    if (!res.ok) {
      // A refresh token is used once: refused, the session is over.
      if (res.status === 401 || res.status === 400) clearTokens();
      return undefined;
    }
    const pair = (await res.json()) as TokenPair;
    storeTokens(pair);
    return pair.accessToken;
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}
