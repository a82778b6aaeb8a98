import { AppError } from "@conclave/errors";

/** A signal that aborts when `parent` does or after `timeoutMs`, whichever comes first. */
export interface DeadlineSignal {
  signal: AbortSignal;
  /** The error to report when the signal has aborted (the parent's reason, or a timeout). */
  error(): AppError;
  dispose(): void;
}

/** Links a local time limit to the caller's signal, so one abort path serves both. */
export function deadlineSignal(parent: AbortSignal, timeoutMs: number, what: string): DeadlineSignal {
  const controller = new AbortController();
  const timeout = new AppError("timeout", `${what} did not finish within ${timeoutMs} ms`);
  const onParent = () => controller.abort(parent.reason);
  if (parent.aborted) onParent();
  else parent.addEventListener("abort", onParent, { once: true });
  const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
  return {
    signal: controller.signal,
    error: () => {
      const reason: unknown = controller.signal.reason;
      return reason instanceof AppError ? reason : timeout;
    },
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", onParent);
    },
  };
}
