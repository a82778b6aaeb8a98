import { Worker } from "node:worker_threads";
import { AppError } from "@conclave/errors";
import { z } from "zod";
import { createFairSemaphore, fairShareOf } from "./fair-semaphore.js";
import { defineTool, type Tool, type ToolContext } from "./tool.js";

const MIB = 1024 * 1024;

/** Limits of the `run_js` sandbox; every one has a default. */
export interface RunJsConfig {
  /** Wall-clock time for one script, counted from when it starts to run (default 2 s). */
  timeoutMs?: number;
  /** QuickJS's own heap limit (default 32 MiB). */
  memoryBytes?: number;
  /** Hard cap on the sandbox's WebAssembly memory, which holds that heap (default 64 MiB, at least 16). */
  wasmMemoryBytes?: number;
  /** QuickJS's stack (default 1 MiB: about 10,000 nested calls). */
  stackBytes?: number;
  maxCodeChars?: number;
  /** Caps on the collected `console.log` output (default 16 KiB, 200 lines). */
  maxLogBytes?: number;
  maxLogLines?: number;
  /** Characters of the result's JSON returned (default 64 KiB). */
  maxResultBytes?: number;
  /** Sandboxes running at once per tool instance (default 2); more calls wait their turn. */
  maxConcurrent?: number;
  /** The fraction of those sandboxes one account may hold at once (default 0.5, at least one). */
  accountShare?: number;
}

/** What `run_js` returns: the script's value (as JSON) and what it logged. */
export interface RunJsResult {
  /** The value of the last expression (or what its promise resolved to); a cut-off JSON text when too long. */
  result: unknown;
  resultTruncated: boolean;
  logs: string[];
  logsTruncated: boolean;
  durationMs: number;
}

// Extra time for the thread to report the interrupt itself before it is killed.
const KILL_GRACE_MS = 250;
// Starting a thread and a WebAssembly module takes 50-500 ms here; this bounds a stuck start.
const STARTUP_MS = 5_000;

const Outcome = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("ok"),
    json: z.string(),
    resultTruncated: z.boolean(),
    logs: z.array(z.string()),
    logsTruncated: z.boolean(),
  }),
  z.object({
    type: z.literal("error"),
    kind: z.enum(["timeout", "memory", "stack", "script", "internal"]),
    message: z.string(),
    logs: z.array(z.string()),
    logsTruncated: z.boolean(),
  }),
]);
type Outcome = z.output<typeof Outcome>;
const Message = z.union([z.object({ type: z.literal("started") }), Outcome]);

interface Limits {
  timeoutMs: number;
  memoryBytes: number;
  wasmMemoryBytes: number;
  stackBytes: number;
  maxCodeChars: number;
  maxLogBytes: number;
  maxLogLines: number;
  maxResultBytes: number;
}

function limitsOf(config: RunJsConfig): Limits {
  return {
    timeoutMs: config.timeoutMs ?? 2_000,
    memoryBytes: config.memoryBytes ?? 32 * MIB,
    wasmMemoryBytes: Math.max(16 * MIB, config.wasmMemoryBytes ?? 64 * MIB),
    stackBytes: config.stackBytes ?? MIB,
    maxCodeChars: config.maxCodeChars ?? 20_000,
    maxLogBytes: config.maxLogBytes ?? 16 * 1024,
    maxLogLines: config.maxLogLines ?? 200,
    maxResultBytes: config.maxResultBytes ?? 64 * 1024,
  };
}

/** Starts the sandbox thread and settles with its answer, or kills it when it overruns. */
function runInWorker(code: string, limits: Limits, deadline: number, signal: AbortSignal): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./run-js-worker.mjs", import.meta.url), {
      workerData: { ...limits, code, deadline },
      // The thread needs no loader flags, no environment and no inherited stdio.
      execArgv: [],
      env: {},
      stdout: true,
      stderr: true,
      // The V8 side of the thread; the sandbox's own memory is capped in the thread.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 8 },
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: Outcome | AppError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      void worker.terminate();
      if (outcome instanceof AppError) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = () =>
      settle(
        signal.reason instanceof AppError
          ? signal.reason
          : new AppError("unavailable", "run_js was cancelled"),
      );
    const arm = (ms: number, error: AppError) => {
      clearTimeout(timer);
      timer = setTimeout(() => settle(error), Math.max(0, ms));
    };
    arm(STARTUP_MS, new AppError("unavailable", `run_js: the sandbox did not start within ${STARTUP_MS} ms`));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: unknown) => {
      const parsed = Message.safeParse(message);
      if (!parsed.success)
        return settle(new AppError("internal", "run_js: the sandbox sent a malformed answer"));
      if (parsed.data.type !== "started") return settle(parsed.data);
      // The thread's own interrupt fires at the limit; this kill is for code it cannot interrupt.
      arm(
        Math.min(limits.timeoutMs, deadline - Date.now()) + KILL_GRACE_MS,
        new AppError(
          "timeout",
          `run_js: the script ran past its ${limits.timeoutMs} ms time limit and was killed`,
        ),
      );
    });
    worker.once("error", (e: Error & { code?: string }) => {
      settle(
        e.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? new AppError("payload_too_large", "run_js: the sandbox ran out of memory and was stopped")
          : new AppError("internal", `run_js: the sandbox failed: ${e.message}`, { cause: e }),
      );
    });
    worker.once("exit", (exitCode) => {
      settle(new AppError("internal", `run_js: the sandbox ended (exit ${exitCode}) without an answer`));
    });
  });
}

function withLogs(message: string, logs: readonly string[]): string {
  if (logs.length === 0) return message;
  const shown = logs.slice(-20).join("\n");
  return `${message}\nconsole output before the error:\n${shown.slice(-2_000)}`;
}

function failure(outcome: Extract<Outcome, { type: "error" }>, limits: Limits): AppError {
  const { kind, message, logs } = outcome;
  switch (kind) {
    case "timeout":
      return new AppError(
        "timeout",
        withLogs(`run_js: the script ran past its ${limits.timeoutMs} ms time limit and was stopped`, logs),
      );
    case "memory":
      return new AppError(
        "payload_too_large",
        withLogs(
          `run_js: the script ran out of memory (limit ${limits.memoryBytes / MIB} MiB) and was stopped`,
          logs,
        ),
      );
    case "stack":
      return new AppError("permanent", withLogs("run_js: stack overflow (recursion too deep)", logs));
    case "script":
      return new AppError("permanent", withLogs(`run_js: the script threw ${message}`, logs));
    case "internal":
      return new AppError("internal", `run_js: the sandbox failed: ${message}`);
  }
}

/**
 * Runs a script in a fresh QuickJS (WebAssembly) runtime on its own thread: no host objects but a
 * collecting `console`, capped memory, stack and time; the thread is killed if the interpreter
 * does not stop in time.
 */
export async function runJs(
  config: RunJsConfig,
  code: string,
  ctx: Pick<ToolContext, "signal" | "limits">,
): Promise<RunJsResult> {
  const limits = limitsOf(config);
  if (code.length > limits.maxCodeChars)
    throw new AppError("validation", `run_js: the code is longer than ${limits.maxCodeChars} characters`);
  const started = performance.now();
  const outcome = await runInWorker(code, limits, ctx.limits.deadline, ctx.signal);
  if (outcome.type === "error") throw failure(outcome, limits);
  return {
    result: JSON.parse(outcome.json),
    resultTruncated: outcome.resultTruncated,
    logs: outcome.logs,
    logsTruncated: outcome.logsTruncated,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The `run_js` tool (see `runJs`); each sandbox thread can take ~150 MB, hence the concurrency cap. */
export function createRunJsTool(config: RunJsConfig = {}): Tool<{ code: string }, RunJsResult> {
  const limits = limitsOf(config);
  const n = config.maxConcurrent ?? 2;
  // One account's endless loops must not keep everyone else's scripts waiting.
  const slots = createFairSemaphore({ slots: n, perKey: fairShareOf(n, config.accountShare ?? 0.5) });
  return defineTool({
    name: "run_js",
    description:
      "Runs JavaScript (ES2023, QuickJS) in an isolated sandbox and returns the value of the last " +
      "expression (an async result is awaited) and the console.log output. No network, files, timers, " +
      `require or import; at most ${limits.timeoutMs} ms and ${limits.memoryBytes / MIB} MiB.`,
    schema: z.strictObject({
      code: z.string().min(1).max(limits.maxCodeChars).describe("The JavaScript to run."),
    }),
    timeoutMs: STARTUP_MS + limits.timeoutMs + KILL_GRACE_MS + 1_000,
    run: async (args: { code: string }, ctx: ToolContext) => {
      const release = await slots.acquire(ctx.accountId ?? ctx.groupId ?? "", ctx.signal);
      try {
        return await runJs(config, args.code, ctx);
      } finally {
        release();
      }
    },
  });
}
