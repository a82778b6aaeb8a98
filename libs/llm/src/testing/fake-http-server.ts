import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A request the fake server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** `performance.now()` when the request arrived. */
  at: number;
}

/** What the fake server answers: a stream of pre-formatted SSE frames, a JSON error, or nothing at all. */
export type FakeReply =
  | { kind: "sse"; frames: string[] }
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: "hang" };

/** A local HTTP server (127.0.0.1, port 0) that answers queued replies in order and records requests. */
export interface FakeServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  enqueue(...replies: FakeReply[]): void;
  /** Replies used, in turn, when the queue is empty. */
  always(reply: FakeReply): void;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a fake provider. `check` says what the real API would reject (wrong path, method, auth):
 * such a request gets a 400 naming the problem, so the adapter under test fails loudly.
 */
export async function startFakeServer(
  name: string,
  check: (request: RecordedRequest) => string | undefined,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let queue: FakeReply[] = [];
  let fallback: FakeReply | undefined;

  const send = async (res: ServerResponse, reply: FakeReply) => {
    if (reply.kind === "hang") return;
    if (reply.kind === "json") {
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    for (const frame of reply.frames) {
      if (res.destroyed) return;
      res.write(frame);
      // Let each frame leave as its own chunk, as a real server streaming tokens would.
      await sleep(1);
    }
    res.end();
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // keep the raw text
      }
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        at: performance.now(),
      };
      requests.push(recorded);
      const problem = check(recorded);
      const reply: FakeReply = problem
        ? { kind: "json", status: 400, body: { error: { message: `fake ${name}: ${problem}` } } }
        : (queue.shift() ??
          fallback ?? {
            kind: "json",
            status: 400,
            body: { error: { message: `fake ${name}: no reply queued` } },
          });
      send(res, reply).catch(() => res.destroy());
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    always: (reply) => {
      fallback = reply;
    },
    reset() {
      requests.length = 0;
      queue = [];
      fallback = undefined;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
