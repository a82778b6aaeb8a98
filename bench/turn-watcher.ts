import { performance } from "node:perf_hooks";
import WebSocket from "ws";

/** When each event of one turn reached the socket (`performance.now()` ms). */
export interface TurnArrivals {
  turnId: string;
  /** First arrival per event type; for `agent.replied`, the last one (the turn waits for all). */
  at: Partial<Record<string, number>>;
  events: number;
  /** Events of the turn, by type. */
  counts: Partial<Record<string, number>>;
  ended: { type: "turn.completed" | "turn.failed"; at: number; detail?: string } | undefined;
}

interface ServerFrame {
  type: string;
  groupId?: string;
  event?: { type: string; turnId: string | null; payload: Record<string, unknown> };
  message?: string;
}

/**
 * A WebSocket client that timestamps each event as it arrives and resolves per-turn waiters at
 * once (the testing StreamClient polls every 10 ms and keeps every frame).
 */
export class TurnWatcher {
  private readonly turns = new Map<string, TurnArrivals>();
  private readonly waiters = new Map<string, (t: TurnArrivals) => void>();
  private readonly subscribing = new Map<string, (error?: Error) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.onFrame(performance.now(), data));
  }

  static async open(url: string, token: string): Promise<TurnWatcher> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new TurnWatcher(ws);
  }

  /** Follows a group's new events; resolves when the server confirms. */
  subscribe(groupId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.subscribing.set(groupId, (e) => (e ? reject(e) : resolve()));
      this.ws.send(JSON.stringify({ type: "subscribe", groupId }));
    });
  }

  /** Resolves when the turn has ended (at once if it already has); the record is then forgotten. */
  ended(turnId: string, timeoutMs = 30_000): Promise<TurnArrivals> {
    const known = this.turns.get(turnId);
    if (known?.ended) {
      this.turns.delete(turnId);
      return Promise.resolve(known);
    }
    return new Promise<TurnArrivals>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(turnId);
        reject(new Error(`turn ${turnId} did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(turnId, (t) => {
        clearTimeout(timer);
        this.turns.delete(turnId);
        resolve(t);
      });
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }

  private onFrame(now: number, data: Buffer) {
    const f = JSON.parse(data.toString("utf8")) as ServerFrame;
    if (f.type === "subscribed" && f.groupId) {
      this.subscribing.get(f.groupId)?.();
      this.subscribing.delete(f.groupId);
      return;
    }
    if (f.type === "error" && f.groupId && this.subscribing.has(f.groupId)) {
      this.subscribing.get(f.groupId)?.(new Error(`subscribe failed: ${f.message ?? "?"}`));
      this.subscribing.delete(f.groupId);
      return;
    }
    const e = f.type === "event" ? f.event : undefined;
    if (!e?.turnId) return;
    let turn = this.turns.get(e.turnId);
    if (!turn) {
      turn = { turnId: e.turnId, at: {}, events: 0, counts: {}, ended: undefined };
      this.turns.set(e.turnId, turn);
    }
    turn.events++;
    turn.counts[e.type] = (turn.counts[e.type] ?? 0) + 1;
    if (turn.at[e.type] === undefined || e.type === "agent.replied") turn.at[e.type] = now;
    if (e.type !== "turn.completed" && e.type !== "turn.failed") return;
    const detail = typeof e.payload.detail === "string" ? e.payload.detail : undefined;
    turn.ended = { type: e.type, at: now, ...(detail ? { detail } : {}) };
    this.waiters.get(e.turnId)?.(turn);
    this.waiters.delete(e.turnId);
  }
}
