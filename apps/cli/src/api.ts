/** The edge's HTTP API as the CLI calls it: a bearer credential and problem+json errors. */
export interface Api {
  readonly baseUrl: string;
  /** A GET that must answer 200: its response (its body unread); anything else throws `ApiError`. */
  get(path: string, accept?: string): Promise<Response>;
  getJson<T>(path: string): Promise<T>;
}

/** A refusal from the edge, with the problem's detail and the fields it names. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export function createApi(baseUrl: string, token: string): Api {
  const base = baseUrl.replace(/\/+$/, "");
  const get = async (path: string, accept = "application/json") => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, accept } });
    if (res.status === 200) return res;
    const text = await res.text();
    let problem: { title?: string; detail?: string; errors?: { path: string; message: string }[] } = {};
    try {
      problem = JSON.parse(text);
    } catch {
      // Not a problem document: the status says enough.
    }
    const fields = problem.errors ?? [];
    const named = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
    throw new ApiError(
      res.status,
      `${res.status} ${problem.title ?? res.statusText}: ${problem.detail ?? text.slice(0, 200)}${named ? ` (${named})` : ""}`,
      fields,
    );
  };
  return {
    baseUrl: base,
    get,
    async getJson<T>(path: string) {
      return (await (await get(path)).json()) as T;
    },
  };
}
