/**
 * A worker thread of `bench/fanout.ts`: opens its share of the WebSocket clients and records, per
 * client set, the seq and arrival time of every event frame, reading no more of a frame than its
 * type and seq so the clients cost the bench as little as they can.
 */
import { parentPort } from "node:worker_threads";
import WebSocket from "ws";

/** One client set: sockets to `url`, each subscribing to its group (raw-server sockets subscribe to nothing). */
export interface ClientSet {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The group of each socket; null: subscribe to nothing. */
  groups: (string | null)[];
}

export type ToWorker =
  | { cmd: "connect"; sets: ClientSet[]; parallel: number }
  | { cmd: "count" }
  | { cmd: "collect" }
  | { cmd: "close" };

export type FromWorker =
  | { type: "connected"; opened: number; failed: number; firstError?: string }
  | { type: "count"; counts: Record<string, number>; closed: number }
  | { type: "collected"; sets: Record<string, { seqs: Float64Array; times: Float64Array }> }
  | { type: "closed" };

const EVENT_PREFIX = '{"type":"event"';
const SEQ_KEY = Buffer.from('"seq":');
const now = () => performance.timeOrigin + performance.now();

class Arrivals {
  seqs: number[] = [];
  times: number[] = [];
}

const records = new Map<string, Arrivals>();
const sockets: WebSocket[] = [];
let closed = 0;

function seqOf(data: Buffer): number | undefined {
  if (data.length < 20 || data.toString("latin1", 0, EVENT_PREFIX.length) !== EVENT_PREFIX) return undefined;
  let i = data.indexOf(SEQ_KEY, EVENT_PREFIX.length);
  if (i < 0) return undefined;
  i += SEQ_KEY.length;
  let seq = 0;
  for (let c = data[i]; c !== undefined && c >= 48 && c <= 57; c = data[++i]) seq = seq * 10 + (c - 48);
  return seq;
}

function open(set: ClientSet, groupId: string | null): Promise<void> {
  const rec = records.get(set.name) ?? new Arrivals();
  records.set(set.name, rec);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(set.url, { headers: set.headers, perMessageDeflate: false });
    let ready = false;
    let retries = 0;
    ws.on("message", (data: Buffer) => {
      const seq = seqOf(data);
      if (seq !== undefined) {
        rec.seqs.push(seq);
        rec.times.push(now());
        return;
      }
      if (ready) return;
      const text = data.toString("utf8");
      if (text.includes('"type":"subscribed"')) {
        ready = true;
        resolve();
      } else if (text.includes('"code":"subscription_failed"') && ++retries <= 10) {
        // As a good client does: the server could not follow the group just now; ask again.
        setTimeout(() => ws.send(JSON.stringify({ type: "subscribe", groupId })), 500);
      } else if (text.includes('"type":"error"')) reject(new Error(text));
    });
    ws.once("open", () => {
      sockets.push(ws);
      if (groupId === null) {
        ready = true;
        resolve();
      } else ws.send(JSON.stringify({ type: "subscribe", groupId }));
    });
    ws.once("error", (e) => {
      if (!ready) reject(e);
    });
    ws.once("close", () => {
      closed++;
      if (!ready) reject(new Error("closed before subscribing"));
    });
  });
}

async function connect(sets: ClientSet[], parallel: number) {
  const jobs = sets.flatMap((set) => set.groups.map((g) => () => open(set, g)));
  let next = 0;
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  // A bounded number of handshakes at once: the server's accept backlog is finite.
  await Promise.all(
    Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
      for (let job = jobs[next++]; job; job = jobs[next++]) {
        try {
          await job();
          opened++;
        } catch (e) {
          failed++;
          firstError ??= e instanceof Error ? e.message : String(e);
        }
      }
    }),
  );
  return { opened, failed, firstError };
}

const port = parentPort;
if (!port) throw new Error("fanout-clients runs as a worker thread");
port.on("message", async (msg: ToWorker) => {
  switch (msg.cmd) {
    case "connect": {
      const r = await connect(msg.sets, msg.parallel);
      port.postMessage({
        type: "connected",
        ...r,
        ...(r.firstError ? { firstError: r.firstError } : {}),
      } satisfies FromWorker);
      return;
    }
    case "count": {
      const counts: Record<string, number> = {};
      for (const [name, r] of records) counts[name] = r.seqs.length;
      port.postMessage({ type: "count", counts, closed } satisfies FromWorker);
      return;
    }
    case "collect": {
      const out: Record<string, { seqs: Float64Array; times: Float64Array }> = {};
      for (const [name, r] of records) {
        out[name] = { seqs: Float64Array.from(r.seqs), times: Float64Array.from(r.times) };
        r.seqs = [];
        r.times = [];
      }
      const transfer = Object.values(out).flatMap((o) => [
        o.seqs.buffer as ArrayBuffer,
        o.times.buffer as ArrayBuffer,
      ]);
      port.postMessage({ type: "collected", sets: out } satisfies FromWorker, transfer);
      return;
    }
    case "close": {
      for (const ws of sockets) ws.terminate();
      port.postMessage({ type: "closed" } satisfies FromWorker);
      return;
    }
  }
});
