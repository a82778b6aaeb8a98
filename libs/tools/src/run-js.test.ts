import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { createRunJsTool, type RunJsConfig, runJs } from "./run-js.js";
import { runTool } from "./run-tool.js";
import { createToolRegistry } from "./tool-registry.js";

// Each run starts a thread and a WebAssembly module; keep limits small so refusals come fast.
const config: RunJsConfig = {
  timeoutMs: 1_000,
  memoryBytes: 16 * 1024 * 1024,
  wasmMemoryBytes: 48 * 1024 * 1024,
};

function ctx(signal = new AbortController().signal) {
  return { signal, limits: { timeoutMs: 60_000, deadline: Date.now() + 60_000 } };
}

async function failure(code: string, cfg: RunJsConfig = config): Promise<{ error: AppError; ms: number }> {
  const started = Date.now();
  try {
    await runJs(cfg, code, ctx());
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return { error: e as AppError, ms: Date.now() - started };
  }
  throw new Error(`${code} did not fail`);
}

describe("run_js", () => {
  it("returns the last value as JSON and the console output", async () => {
    const out = await runJs(
      config,
      `console.log("sum", 1 + 2, { a: [1, 2] }); const xs = [3, 1, 2].sort(); ({ xs, n: xs.length, s: "é" })`,
      ctx(),
    );
    expect(out).toMatchObject({
      result: { xs: [1, 2, 3], n: 3, s: "é" },
      resultTruncated: false,
      logs: ['sum 3 {"a":[1,2]}'],
      logsTruncated: false,
    });
  });

  it("awaits an async result", async () => {
    const out = await runJs(
      config,
      "(async () => { await null; return [1, 2].map(async (x) => x * 2) && 42 })()",
      ctx(),
    );
    expect(out.result).toBe(42);
  });

  it("has no process, require, fetch, timers or host modules", async () => {
    const out = await runJs(
      config,
      "[typeof process, typeof require, typeof globalThis.fetch, typeof setTimeout, typeof setInterval, typeof queueMicrotask, typeof Deno, typeof Bun]",
      ctx(),
    );
    expect(out.result).toEqual(Array(8).fill("undefined"));
    expect((await failure("process.exit(1)")).error.message).toBe(
      "run_js: the script threw ReferenceError: 'process' is not defined",
    );
    expect((await failure('require("fs")')).error.message).toMatch(
      /ReferenceError: 'require' is not defined/,
    );
    expect((await failure('globalThis.fetch("http://127.0.0.1/")')).error.message).toMatch(
      /TypeError: not a function/,
    );
    expect((await failure('import("fs")')).error.message).toMatch(/could not load module 'fs'/);
    expect((await failure('import("node:child_process")')).error.message).toMatch(/could not load module/);
    expect((await failure("setTimeout(() => {}, 0)")).error.message).toMatch(/'setTimeout' is not defined/);
  });

  it("starts every run in a fresh runtime", async () => {
    await runJs(config, "globalThis.leak = 1; Object.prototype.polluted = true", ctx());
    expect((await runJs(config, "[typeof leak, ({}).polluted === undefined]", ctx())).result).toEqual([
      "undefined",
      true,
    ]);
  });

  it("stops an infinite loop at the deadline", async () => {
    const { error, ms } = await failure("while (true) {}", { ...config, timeoutMs: 300 });
    expect(error).toMatchObject({
      code: "timeout",
      message: "run_js: the script ran past its 300 ms time limit and was stopped",
    });
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(300 + 1_500);
  });

  it("stops a memory bomb at the memory limit", async () => {
    const { error, ms } = await failure("let a = []; while (true) a.push(new Array(1e6).fill(1))", {
      ...config,
      timeoutMs: 10_000,
    });
    expect(error).toMatchObject({
      code: "payload_too_large",
      message: "run_js: the script ran out of memory (limit 16 MiB) and was stopped",
    });
    expect(ms).toBeLessThan(3_000);
  });

  it("stops large allocations that QuickJS's own limit does not count, at the WebAssembly cap", async () => {
    const { error } = await failure("let a = []; while (true) a.push('x'.repeat(1e6) + a.length)", {
      ...config,
      timeoutMs: 10_000,
    });
    expect(error.code).toBe("payload_too_large");
  });

  it("kills a script the interpreter cannot interrupt in time", async () => {
    // Each repeat() is one long native call, so the interrupt handler is polled too rarely.
    const { error, ms } = await failure("while (true) 'x'.repeat(1e7)", { ...config, timeoutMs: 300 });
    expect(error).toMatchObject({
      code: "timeout",
      message: "run_js: the script ran past its 300 ms time limit and was killed",
    });
    expect(ms).toBeLessThan(300 + 1_500);
  });

  it("reports a stack overflow", async () => {
    const { error } = await failure("function f() { return f() } f()");
    expect(error).toMatchObject({
      code: "permanent",
      message: "run_js: stack overflow (recursion too deep)",
    });
    expect(
      (await runJs(config, "function g(n) { return n === 0 ? 0 : 1 + g(n - 1) } g(5000)", ctx())).result,
    ).toBe(5000);
  });

  it("reports a thrown error with the output logged before it", async () => {
    const { error } = await failure('console.log("step 1"); throw new RangeError("bad input")');
    expect(error).toMatchObject({
      code: "permanent",
      message: "run_js: the script threw RangeError: bad input\nconsole output before the error:\nstep 1",
    });
    expect((await failure('throw "plain"')).error.message).toBe("run_js: the script threw uncaught plain");
    expect((await failure("new Promise(() => {})")).error.message).toMatch(/promise never settled/);
    expect((await failure("syntax error here")).error.message).toMatch(/SyntaxError/);
  });

  it("caps the console output and the result", async () => {
    const logs = await runJs(config, 'for (let i = 0; i < 1000; i++) console.log("line", i); 1', ctx());
    expect(logs.logsTruncated).toBe(true);
    expect(logs.logs.length).toBeLessThanOrEqual(200);
    const big = await runJs({ ...config, maxResultBytes: 100 }, "'y'.repeat(1000)", ctx());
    expect(big).toMatchObject({ resultTruncated: true, result: `"${"y".repeat(99)}` });
  });

  it("kills the sandbox when the caller aborts", async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);
    const started = Date.now();
    await expect(
      runJs({ ...config, timeoutMs: 5_000 }, "while (true) {}", ctx(cancel.signal)),
    ).rejects.toMatchObject({
      code: "unavailable",
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("runs at most maxConcurrent sandboxes at once", async () => {
    const registry = createToolRegistry([createRunJsTool({ ...config, timeoutMs: 200, maxConcurrent: 1 })]);
    const loop = () =>
      runTool(registry, { name: "run_js", args: { code: "while (true) {}" }, allowedTools: ["run_js"] });
    const started = Date.now();
    const [a, b] = await Promise.all([loop(), loop()]);
    expect([a.ok || a.error.code, b.ok || b.error.code]).toEqual(["timeout", "timeout"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it("keeps a sandbox for another account while one account's endless loops wait their turn", async () => {
    const registry = createToolRegistry([createRunJsTool({ ...config, timeoutMs: 1_500, maxConcurrent: 2 })]);
    const finished: string[] = [];
    const run = (accountId: string, code: string) =>
      runTool(registry, { name: "run_js", args: { code }, allowedTools: ["run_js"], accountId }).then((r) => {
        finished.push(accountId);
        return r;
      });
    const loops = [run("flooder", "while (true) {}"), run("flooder", "while (true) {}")];
    const other = await run("other", "6 * 7");
    expect(other).toMatchObject({ ok: true, result: { result: 42 } });
    // Before the fix the flooder held both sandboxes and the other script waited for a loop's deadline.
    expect(finished).toEqual(["other"]);
    const outcomes = await Promise.all(loops);
    expect(outcomes.map((o) => o.ok || o.error.code)).toEqual(["timeout", "timeout"]);
  }, 20_000);

  it("runs as a tool and refuses code past the length cap", async () => {
    const registry = createToolRegistry([createRunJsTool({ ...config, maxCodeChars: 50 })]);
    expect(
      await runTool(registry, { name: "run_js", args: { code: "6 * 7" }, allowedTools: ["run_js"] }),
    ).toMatchObject({
      ok: true,
      result: { result: 42, logs: [] },
    });
    const long = await runTool(registry, {
      name: "run_js",
      args: { code: "1;".repeat(30) },
      allowedTools: ["run_js"],
    });
    expect(!long.ok && long.error).toMatchObject({ code: "validation", fields: [{ path: "code" }] });
  });
});
