import { useCallback, useEffect, useState } from "react";
import { ApiError, api } from "../api/client.js";

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): void;
}

/** GETs `path` (again when it changes or on `reload`); undefined `path` waits. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new round asks again
  useEffect(() => {
    if (!path) return;
    let live = true;
    setLoading(true);
    api<T>("GET", path).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [path, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload };
}

/** What to tell a person about a failure: the problem's detail and each failing field. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const fields = (e.problem.errors ?? []).map((f) => `${f.path}: ${f.message}`);
    return [e.message, ...fields].join(" · ");
  }
  return e instanceof Error ? e.message : String(e);
}
