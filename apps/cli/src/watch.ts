import WebSocket from "ws";

/** Prints a group's events as they arrive: `conclave watch <groupId> [afterSeq]`. */
export async function watch(url: string, token: string, groupId: string, afterSeq?: number): Promise<void> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  ws.on("open", () =>
    ws.send(JSON.stringify({ type: "subscribe", groupId, ...(afterSeq === undefined ? {} : { afterSeq }) })),
  );
  ws.on("message", (data: Buffer) => {
    let frame: {
      type: string;
      seq?: number;
      event?: { type: string; actor: { name?: string; id: string }; payload: Record<string, unknown> };
    };
    try {
      frame = JSON.parse(data.toString("utf8"));
    } catch {
      console.log(data.toString("utf8"));
      return;
    }
    if (frame.type === "heartbeat") return;
    if (frame.type !== "event" || !frame.event) {
      console.log(JSON.stringify(frame));
      return;
    }
    const e = frame.event;
    console.log(`#${frame.seq} ${e.type} ${describe(e)}`);
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

/** One readable line about an event: who, and what it says. */
export function describe(e: {
  type: string;
  actor: { name?: string; id: string };
  payload: Record<string, unknown>;
}): string {
  const p = e.payload;
  const who = e.actor.name ?? e.actor.id;
  const pct = (x: unknown) => `${Math.round(Number(x) * 100)}%`;
  switch (e.type) {
    case "speaker.selected":
      return `${String(p.agentName)} (${String(p.reason)})`;
    case "guard.triggered":
      return `${String(p.code)}: ${String(p.reason)}`;
    case "vote.opened":
      return `options ${(p.options as { choice: string }[]).map((o) => o.choice).join(", ")}; closes ${String(p.deadline)}`;
    case "vote.cast":
      return `${String(p.agentName)} votes ${p.choice === null ? "to abstain" : String(p.choice)} (confidence ${pct(p.confidence)}): ${String(p.rationale)}`;
    case "vote.closed":
      return String(p.reason);
    case "consensus.reached":
      return `${String(p.choice)} with ${pct(p.confidence)} of the votes (${String(p.rule)})`;
    case "consensus.failed":
      return `${String(p.code)}: ${String(p.reason)}`;
    case "turn.failed":
      return `${String(p.reason)}: ${String(p.detail)}`;
    default:
      return typeof p.content === "string" ? `${who}: ${p.content}` : who;
  }
}
