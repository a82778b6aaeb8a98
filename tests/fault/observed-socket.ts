import WebSocket from "ws";
import type { SocketLog } from "./checker.js";

interface EventFrame {
  type: string;
  groupId?: string;
  seq?: number;
  event?: { id: string };
  code?: string;
}

/**
 * A WebSocket subscriber that behaves as a good client: it follows its groups from the start, and
 * when the socket closes or a subscription fails it reconnects (to the next fanout) and resumes
 * after the last seq it saw. Everything it receives is logged with the time, for the checker.
 */
export class ObservedSocket {
  readonly log: SocketLog;
  reconnects = 0;
  /** Close codes seen, in order (1001 on a drain, 1006 when the fanout died). */
  readonly closes: number[] = [];
  private ws: WebSocket | undefined;
  private urlIndex: number;
  private stopped = false;
  private readonly last = new Map<string, number>();
  private readonly subscribed = new Set<string>();

  constructor(
    name: string,
    private readonly urls: () => string[],
    private readonly token: string,
    private readonly groups: string[],
    first = 0,
  ) {
    this.log = { name, subscriptions: [], received: [] };
    this.urlIndex = first;
  }

  /** Connects and waits until every group is subscribed. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.connect();
    const deadline = Date.now() + timeoutMs;
    while (this.subscribed.size < this.groups.length) {
      if (Date.now() > deadline) throw new Error(`${this.log.name}: not subscribed in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private connect() {
    if (this.stopped) return;
    const urls = this.urls();
    const url = urls[this.urlIndex % urls.length] as string;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.token}` } });
    this.ws = ws;
    ws.on("open", () => {
      for (const g of this.groups) this.subscribe(ws, g);
    });
    ws.on("message", (data: Buffer) => this.onFrame(ws, JSON.parse(data.toString("utf8")) as EventFrame));
    ws.on("error", () => undefined);
    ws.on("close", (code) => {
      this.closes.push(code);
      if (this.stopped || this.ws !== ws) return;
      // Another fanout, after a short pause; the one that went away may be restarting.
      this.reconnects++;
      this.urlIndex++;
      setTimeout(() => this.connect(), 200);
    });
  }

  private subscribe(ws: WebSocket, groupId: string) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "subscribe", groupId, afterSeq: this.last.get(groupId) ?? 0 }));
  }

  private onFrame(ws: WebSocket, f: EventFrame) {
    const g = f.groupId;
    if (f.type === "subscribed" && g && !this.subscribed.has(g)) {
      this.subscribed.add(g);
      this.log.subscriptions.push({ groupId: g, afterSeq: 0, subscribedAtMs: Date.now() });
    }
    if (f.type === "event" && g && f.seq !== undefined && f.event) {
      this.log.received.push({ groupId: g, seq: f.seq, eventId: f.event.id, atMs: Date.now() });
      this.last.set(g, Math.max(this.last.get(g) ?? 0, f.seq));
    }
    // A refused or broken subscription: ask again after a moment, from the last seq seen.
    if (f.type === "error" && g) setTimeout(() => this.subscribe(ws, g), 500);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once("close", () => resolve());
      ws.close();
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
    });
  }
}
