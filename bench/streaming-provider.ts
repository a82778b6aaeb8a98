/**
 * A simulated OpenAI-compatible provider for the executor bench, run as a child process of its own
 * (so its CPU is not the executor's): each streamed chat completion takes `latencyMs`, in five
 * chunks and a usage chunk. It keeps every request's start and end, so the bench can count the calls
 * the executor really held open at once, and how long the provider itself took to answer.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

/** One streamed completion as the provider saw it (epoch ms). */
export interface ProviderCall {
  start: number;
  end: number;
}

type ToChild = { kind: "calls" } | { kind: "stop" };
type FromChild =
  | { kind: "listening"; baseUrl: string }
  | { kind: "calls"; calls: ProviderCall[]; connections: number };

const WORDS = ["one", " two", " three", " four", " five"];
const chunk = (body: object) => `data: ${JSON.stringify(body)}\n\n`;
const TEXT_CHUNKS = WORDS.map((w) =>
  chunk({
    id: "c",
    object: "chat.completion.chunk",
    model: "sim",
    choices: [{ index: 0, delta: { content: w }, finish_reason: null }],
  }),
);
const USAGE_CHUNK = chunk({
  id: "c",
  object: "chat.completion.chunk",
  model: "sim",
  choices: [],
  usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
});

function serve(
  latencyMs: number,
): Promise<{ baseUrl: string; calls: ProviderCall[]; connections(): number }> {
  const calls: ProviderCall[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const start = Date.now();
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let i = 0;
      const tick = setInterval(() => {
        const text = TEXT_CHUNKS[i++];
        if (text !== undefined) {
          res.write(text);
          return;
        }
        clearInterval(tick);
        res.write(USAGE_CHUNK);
        res.end("data: [DONE]\n\n");
        calls.push({ start, end: Date.now() });
      }, latencyMs / WORDS.length);
    });
  });
  server.on("connection", () => connections++);
  server.keepAliveTimeout = 60_000;
  server.maxRequestsPerSocket = 0;
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        calls,
        connections: () => connections,
      }),
    ),
  );
}

/** The provider in a child process, and how to read what it saw. */
export interface ProviderProcess {
  baseUrl: string;
  pid: number;
  /** Every call it answered, and the TCP connections they came over. */
  calls(): Promise<{ calls: ProviderCall[]; connections: number }>;
  stop(): Promise<void>;
}

export async function startProviderProcess(latencyMs: number): Promise<ProviderProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [String(latencyMs)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (kind: FromChild["kind"]) =>
    new Promise<FromChild>((resolve, reject) => {
      const onMessage = (m: FromChild) => {
        if (m.kind !== kind) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`the provider exited (${code})`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const send = (m: ToChild) => child.send(m);
  const listening = await next("listening");
  if (listening.kind !== "listening" || child.pid === undefined) throw new Error("provider did not start");
  return {
    baseUrl: listening.baseUrl,
    pid: child.pid,
    async calls() {
      const reply = next("calls");
      send({ kind: "calls" });
      const m = await reply;
      return m.kind === "calls" ? m : { calls: [], connections: 0 };
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      send({ kind: "stop" });
      await exited;
    },
  };
}

// The child: serve until told to stop, answering the parent's questions over IPC.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const { baseUrl, calls, connections } = await serve(Number(process.argv[2] ?? 200));
  const reply = (m: FromChild) => process.send?.(m);
  process.on("message", (m: ToChild) => {
    if (m.kind === "calls") reply({ kind: "calls", calls, connections: connections() });
    else process.exit(0);
  });
  reply({ kind: "listening", baseUrl });
}
