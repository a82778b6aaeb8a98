import { Worker } from "node:worker_threads";
import { AppError, type ErrorCode } from "@conclave/errors";
import type { CsvLimits } from "./csv-table.js";
import type { DatasetProfile } from "./profile-csv.js";

/** Profiles CSV text off the caller's event loop (a 5 MiB file takes seconds of CPU). */
export interface CsvProfiler {
  /** As `profileCsv`, on the profiler's thread; its errors keep their codes (400, 413). */
  profile(text: string, limits?: CsvLimits): Promise<DatasetProfile>;
  /** Stops the thread; a later `profile` starts another. */
  close(): Promise<void>;
}

type Answer =
  | { id: number; ok: true; profile: DatasetProfile }
  | { id: number; ok: false; code?: ErrorCode; message: string };

const KEPT_CODES: ReadonlySet<string> = new Set(["validation", "payload_too_large"]);

/**
 * One worker thread, started on first use and kept; jobs queue on it in order. A thread that dies
 * (out of memory) fails the jobs it held, and the next job starts a new one. The thread never keeps
 * the process alive on its own.
 */
export function createCsvProfiler(): CsvProfiler {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (p: DatasetProfile) => void; reject: (e: unknown) => void }>();

  const start = (): Worker => {
    const w = new Worker(new URL("./profile-csv-worker.mjs", import.meta.url));
    w.unref();
    w.on("message", (a: Answer) => {
      const job = pending.get(a.id);
      if (!job) return;
      pending.delete(a.id);
      if (a.ok) job.resolve(a.profile);
      else if (a.code && KEPT_CODES.has(a.code)) job.reject(new AppError(a.code, a.message));
      else job.reject(new AppError("internal", `the CSV profiler failed: ${a.message}`));
    });
    const stopped = (cause: unknown) => {
      if (worker === w) worker = undefined;
      for (const job of pending.values())
        job.reject(new AppError("internal", "the CSV profiler stopped", { cause }));
      pending.clear();
    };
    w.on("error", stopped);
    w.on("exit", (code) => stopped(new Error(`the profiler thread exited with ${code}`)));
    return w;
  };

  return {
    profile(text, limits = {}) {
      worker ??= start();
      const id = nextId++;
      const w = worker;
      return new Promise<DatasetProfile>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ id, text, limits });
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}
