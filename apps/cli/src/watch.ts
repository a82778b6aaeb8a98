import WebSocket from "ws";

/** Prints a group's events as they arrive: `conclave watch <groupId> [afterSeq]`. */
export async function watch(url: string, token: string, groupId: string, afterSeq?: number): Promise<void> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  ws.on("open", () =>
    ws.send(JSON.stringify({ type: "subscribe", groupId, ...(afterSeq === undefined ? {} : { afterSeq }) })),
  );
  ws.on("message", (data: Buffer) => {
    const frame = JSON.parse(data.toString("utf8")) as {
      type: string;
      seq?: number;
      event?: { type: string; actor: { name?: string; id: string }; payload: Record<string, unknown> };
    };
    if (frame.type === "heartbeat") return;
    if (frame.type !== "event" || !frame.event) {
      console.log(JSON.stringify(frame));
      return;
    }
    const e = frame.event;
    const who = e.actor.name ?? e.actor.id;
    const text = typeof e.payload.content === "string" ? `: ${e.payload.content}` : "";
    console.log(`#${frame.seq} ${e.type} ${who}${text}`);
  });
  await new Promise<void>((resolve, reject) => {
    ws.on("close", (code, reason) => {
      console.error(`closed ${code} ${reason.toString()}`);
      resolve();
    });
    ws.on("error", reject);
    process.once("SIGINT", () => ws.close());
  });
}
