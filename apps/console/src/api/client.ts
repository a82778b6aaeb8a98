import { accessToken, clearTokens, refreshToken, storeTokens } from "./session.js";
import type { Problem, TokenPair } from "./types.js";

/** An answer that was not 2xx, with its problem+json details when it had them. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `request failed (${problem.status})`);
    this.name = "ApiError";
  }
  get status(): number {
    return this.problem.status;
  }
}

async function problemOf(res: Response): Promise<Problem> {
  try {
    const body = (await res.json()) as Problem;
    return { ...body, status: res.status };
  } catch {
    return { status: res.status, title: res.statusText };
  }
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Without a credential (sign in, register). */
  anonymous?: boolean;
}

/** One call of the public API with the session's credential; a 401 refreshes it and tries once more. */
export async function request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const send = async (token: string | undefined) => {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    return fetch(path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
  if (options.anonymous) return send(undefined);
  let res = await send(await accessToken());
  if (res.status === 401 && refreshToken()) res = await send(await accessToken(true));
  return res;
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await request(method, path, options);
  if (!res.ok) throw new ApiError(await problemOf(res));
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export async function signIn(email: string, password: string, register = false): Promise<void> {
  const pair = await api<TokenPair>("POST", register ? "/v1/auth/register" : "/v1/auth/login", {
    body: { email, password },
    anonymous: true,
  });
  storeTokens(pair);
}

export async function signOut(): Promise<void> {
  const token = refreshToken();
  try {
    if (token) await api("POST", "/v1/auth/logout", { body: { refreshToken: token } });
  } finally {
    clearTokens();
  }
}

/** A group's recorded events (NDJSON) from `fromSeq`, and the seq they cover up to. */
export async function replay(
  groupId: string,
  fromSeq: number,
): Promise<{ lines: { seq: number; event: import("./types.js").StreamEvent }[]; throughSeq: number }> {
  const res = await request("GET", `/v1/groups/${groupId}/replay?fromSeq=${fromSeq}`, {
    headers: { accept: "application/x-ndjson" },
  });
  if (!res.ok) throw new ApiError(await problemOf(res));
  const text = await res.text();
  const lines = text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { seq: number; event: import("./types.js").StreamEvent });
  const through = Number(res.headers.get("replay-through-seq"));
  return { lines, throughSeq: Number.isFinite(through) ? through : (lines.at(-1)?.seq ?? 0) };
}
