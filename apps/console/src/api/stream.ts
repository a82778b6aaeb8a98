import { accessToken } from "./session.js";
import type { StreamDelta, StreamEvent } from "./types.js";

export type StreamStatus = "connecting" | "live" | "reconnecting" | "closed";

export interface GroupStream {
  close(): void;
}

interface Handlers {
  event(seq: number, event: StreamEvent): void;
  delta(delta: StreamDelta): void;
  status(status: StreamStatus, detail?: string): void;
  /** Where to resume: the last seq applied (read at each (re)subscribe). */
  position(): number;
}

let settings: Promise<{ streamUrl: string }> | undefined;
/** The fanout's URL, as the edge that served this page says. */
export function streamSettings(): Promise<{ streamUrl: string }> {
  settings ??= fetch("/console/config.json").then((r) => {
    if (!r.ok) throw new Error(`console settings: ${r.status}`);
    return r.json() as Promise<{ streamUrl: string }>;
  });
  return settings;
}

/**
 * Follows one group over the fanout's WebSocket: authenticates with a frame, subscribes after the
 * last seq applied, and after a dropped connection reconnects (backing off) and resumes from there,
 * so nothing is lost and, with the caller ignoring seqs it has, nothing is repeated.
 */
export function followGroup(groupId: string, on: Handlers): GroupStream {
  let ws: WebSocket | undefined;
  let closed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = async () => {
    if (closed) return;
    on.status(attempt === 0 ? "connecting" : "reconnecting");
    let url: string;
    let token: string | undefined;
    try {
      url = (await streamSettings()).streamUrl;
      token = await accessToken();
    } catch {
      return retry();
    }
    if (closed) return;
    if (!token) return on.status("closed", "signed out");
    const socket = new WebSocket(url);
    ws = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token }));
    socket.onmessage = (m) => {
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(String(m.data)) as Record<string, unknown>;
      } catch {
        return;
      }
      switch (frame.type) {
        case "authenticated":
          socket.send(JSON.stringify({ type: "subscribe", groupId, afterSeq: on.position() }));
          break;
        case "subscribed":
          attempt = 0;
          on.status("live");
          break;
        case "event":
          if (frame.groupId === groupId) on.event(frame.seq as number, frame.event as StreamEvent);
          break;
        case "delta":
          if (frame.groupId === groupId) on.delta(frame as unknown as StreamDelta);
          break;
        case "error":
          on.status("reconnecting", String(frame.message ?? frame.code));
          if (frame.code === "not_found") {
            closed = true;
            on.status("closed", "no such group");
            socket.close();
          } else if (frame.code === "subscription_failed") {
            socket.send(JSON.stringify({ type: "subscribe", groupId, afterSeq: on.position() }));
          }
          break;
        default:
          break;
      }
    };
    socket.onclose = () => {
      if (ws === socket) ws = undefined;
      retry();
    };
  };

  const retry = () => {
    if (closed) return;
    attempt++;
    on.status("reconnecting");
    const wait = Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);
    timer = setTimeout(() => void connect(), wait);
  };

  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      ws?.close();
      on.status("closed");
    },
  };
}
