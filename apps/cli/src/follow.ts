import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

/** A frame of the fanout's WebSocket protocol. */
export interface Frame {
  type: string;
  groupId?: string;
  seq?: number;
  event?: unknown;
  [k: string]: unknown;
}

/** Close codes after which following again cannot help. */
const FINAL = new Set([4401, 4400, 1008]);

/**
 * Follows a group's events on the fanout's WebSocket from after `afterSeq` (absent: new events
 * only). A dropped connection is opened again from the last seq seen, so nothing is missed or
 * repeated. Ends when `signal` aborts, the server refuses the credential, or the group is refused
 * (an `error` frame for it: `onFrame` sees it first), or the fanout never answers three times.
 * Resolves with why it ended.
 */
export async function followGroup(options: {
  url: string;
  token: string;
  groupId: string;
  afterSeq?: number | undefined;
  signal: AbortSignal;
  onFrame: (frame: Frame, raw: string) => void;
  onNotice?: (message: string) => void;
}): Promise<{ code: number; reason: string }> {
  let afterSeq = options.afterSeq;
  let refused = false;
  let opened = false;
  for (let attempt = 0; ; attempt++) {
    const ended = await new Promise<{ code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(options.url, { headers: { authorization: `Bearer ${options.token}` } });
      const stop = () => ws.close(1000, "done");
      options.signal.addEventListener("abort", stop, { once: true });
      ws.on("open", () => {
        attempt = 0;
        opened = true;
        ws.send(
          JSON.stringify({
            type: "subscribe",
            groupId: options.groupId,
            ...(afterSeq === undefined ? {} : { afterSeq }),
          }),
        );
      });
      ws.on("message", (data: Buffer) => {
        const raw = data.toString("utf8");
        let frame: Frame;
        try {
          frame = JSON.parse(raw) as Frame;
        } catch {
          return;
        }
        if (frame.type === "event" && typeof frame.seq === "number") {
          // A reconnect resumes after this; never show an event twice.
          if (afterSeq !== undefined && frame.seq <= afterSeq) return;
          afterSeq = frame.seq;
        }
        if (frame.type === "error" && frame.groupId === options.groupId) {
          refused = true;
          stop();
        }
        options.onFrame(frame, raw);
      });
      ws.on("error", () => undefined);
      ws.on("close", (code, reason) => {
        options.signal.removeEventListener("abort", stop);
        resolve({ code, reason: reason.toString() });
      });
    });
    // A fanout that never answered is a wrong URL more often than a restart.
    if (options.signal.aborted || refused || FINAL.has(ended.code) || (!opened && attempt >= 2)) return ended;
    const wait = Math.min(5_000, 250 * 2 ** Math.min(attempt, 5));
    options.onNotice?.(`connection closed (${ended.code}); following again from seq ${afterSeq ?? "now"}`);
    await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal.aborted) return ended;
  }
}
