// The run_js sandbox thread: one QuickJS runtime for one script, then the thread ends.
// Plain JavaScript so the same file loads under Node, tsx and vitest; run-js.ts starts it with
// a validated `workerData` and validates the one message it posts back.
import { parentPort, workerData } from "node:worker_threads";
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from "quickjs-emscripten";

const WASM_PAGE = 65_536;
// The prebuilt module asks for 16 MiB of linear memory at start.
const MIN_WASM_PAGES = 256;

const limits = workerData;
const logs = [];
let logBytes = 0;
let logsTruncated = false;
const hostErrors = [];

function addLog(line) {
  if (logsTruncated) return;
  if (logs.length >= limits.maxLogLines || logBytes + line.length > limits.maxLogBytes) {
    const room = limits.maxLogBytes - logBytes;
    if (room > 0 && logs.length < limits.maxLogLines) logs.push(line.slice(0, room));
    logsTruncated = true;
    return;
  }
  logs.push(line);
  logBytes += line.length;
}

function toText(value) {
  if (typeof value === "string") return value;
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function classify(thrown) {
  const name = thrown && typeof thrown === "object" && typeof thrown.name === "string" ? thrown.name : "";
  const message =
    thrown && typeof thrown === "object" && typeof thrown.message === "string"
      ? thrown.message
      : toText(thrown);
  if (name === "InternalError" && message === "interrupted") return { kind: "timeout", message };
  if (message === "out of memory") return { kind: "memory", message };
  if (message === "stack overflow" || message.includes("Maximum call stack size exceeded"))
    return { kind: "stack", message };
  return { kind: "script", message: name ? `${name}: ${message}` : `uncaught ${message}` };
}

function finish(outcome) {
  parentPort.postMessage({ ...outcome, logs, logsTruncated });
}

function installConsole(vm) {
  const log = vm.newFunction("log", (...args) => {
    addLog(args.map((h) => (vm.typeof(h) === "string" ? vm.getString(h) : toText(vm.dump(h)))).join(" "));
  });
  const consoleObject = vm.newObject();
  for (const method of ["log", "info", "warn", "error", "debug"]) vm.setProp(consoleObject, method, log);
  vm.setProp(vm.global, "console", consoleObject);
  consoleObject.dispose();
  log.dispose();
}

function settle(vm, runtime, handle) {
  let state = vm.getPromiseState(handle);
  if (state.type === "pending") {
    const jobs = runtime.executePendingJobs();
    if (jobs.error) {
      const thrown = vm.dump(jobs.error);
      jobs.dispose();
      return { type: "error", ...classify(thrown) };
    }
    jobs.dispose();
    state = vm.getPromiseState(handle);
  }
  if (state.type === "pending")
    return {
      type: "error",
      kind: "script",
      message: "the script's promise never settled (the sandbox has no timers and no I/O)",
    };
  if (state.type === "rejected") {
    const thrown = vm.dump(state.error);
    state.error.dispose();
    return { type: "error", ...classify(thrown) };
  }
  const value = vm.dump(state.value);
  if (!state.notAPromise) state.value.dispose();
  let json;
  try {
    json = JSON.stringify(value);
  } catch {
    json = JSON.stringify(String(value));
  }
  if (json === undefined) return { type: "ok", json: "null", resultTruncated: false };
  if (json.length > limits.maxResultBytes)
    return { type: "ok", json: JSON.stringify(json.slice(0, limits.maxResultBytes)), resultTruncated: true };
  return { type: "ok", json, resultTruncated: false };
}

function evaluate(vm, runtime) {
  const result = vm.evalCode(limits.code, "main.js");
  if (result.error) {
    const thrown = vm.dump(result.error);
    result.error.dispose();
    return { type: "error", ...classify(thrown) };
  }
  try {
    return settle(vm, runtime, result.value);
  } finally {
    result.value.dispose();
  }
}

async function main() {
  const variant = newVariant(RELEASE_SYNC, {
    // A fixed maximum is the hard memory cap: setMemoryLimit alone does not bound large strings
    // and arrays in this build (quickjs-emscripten issues #255 and #271).
    wasmMemory: new WebAssembly.Memory({
      initial: MIN_WASM_PAGES,
      maximum: Math.max(MIN_WASM_PAGES, Math.floor(limits.wasmMemoryBytes / WASM_PAGE)),
    }),
    emscriptenModule: {
      print: () => {},
      printErr: (line) => {
        if (hostErrors.length < 20) hostErrors.push(String(line));
      },
    },
  });
  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(limits.stackBytes);
  const vm = runtime.newContext();
  let outcome;
  try {
    installConsole(vm);
    // The time limit counts from here, so a slow thread start does not eat the script's time.
    const deadline = Math.min(Date.now() + limits.timeoutMs, limits.deadline);
    runtime.setInterruptHandler(() => Date.now() > deadline);
    parentPort.postMessage({ type: "started" });
    outcome = evaluate(vm, runtime);
  } catch (e) {
    // The host's own stack or the WASM module gave out; the thread ends right after.
    outcome = { type: "error", ...classify(e) };
  }
  finish(outcome);
  try {
    vm.dispose();
    runtime.dispose();
  } catch {
    // QuickJS can leak objects after an out-of-memory or stack overflow and then abort on
    // dispose; the answer is already posted and this thread's memory goes with it.
  }
}

main().catch((e) => {
  finish({ type: "error", kind: "internal", message: `${toText(e?.message ?? e)} ${hostErrors.join(" ")}` });
});
