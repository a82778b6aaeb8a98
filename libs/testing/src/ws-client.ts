import WebSocket from "ws";
import { waitUntil } from "./wait.js";

export interface Frame {
  type: string;
  groupId?: string;
  seq?: number;
  event?: { id: string; type: string; turnId: string | null; payload: Record<string, unknown> };
  [k: string]: unknown;
}

/** A real WebSocket client that records every frame it receives. */
export class StreamClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.frames.push(JSON.parse(data.toString("utf8")) as Frame));
    ws.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<StreamClient> {
    const ws = new WebSocket(url, options);
    const client = new StreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return client;
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Subscribes and waits for the server's confirmation. */
  /** Subscribes and waits for the server's confirmation; an error frame for the group rejects. */
  async subscribe(groupId: string, afterSeq?: number): Promise<void> {
    const from = this.frames.length;
    this.send({ type: "subscribe", groupId, ...(afterSeq === undefined ? {} : { afterSeq }) });
    const answer = await this.waitFor(
      `subscribed to ${groupId}`,
      (f) =>
        this.frames.indexOf(f) >= from &&
        (f.type === "subscribed" || f.type === "error") &&
        f.groupId === groupId,
    );
    if (answer.type === "error") throw new Error(`subscription refused: ${JSON.stringify(answer)}`);
  }

  events(groupId?: string): Frame[] {
    return this.frames.filter((f) => f.type === "event" && (groupId === undefined || f.groupId === groupId));
  }

  async waitFor(what: string, match: (f: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    return waitUntil(what, () => this.frames.find(match), timeoutMs, 10);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}

/** The HTTP status a WebSocket upgrade gets: 101 when it opens, else the refusal's status. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("open", () => {
      ws.close();
      resolve(101);
    });
    ws.once("error", (e) => (e.message.includes("Unexpected server response") ? undefined : reject(e)));
  });
}
