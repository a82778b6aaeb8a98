/** An event of the group as the fanout's SSE stream carries it (`data` of each frame). */
export interface StreamEvent {
  seq: number;
  event: {
    id: string;
    type: string;
    turnId?: string | null;
    actor?: { kind: string; id: string; name?: string };
    payload?: { content?: string; agentName?: string; agentId?: string; purpose?: string };
  };
}

/** A token delta (`delta` events of the stream with `?deltas=1`): live only, never replayed. */
export interface DeltaFrame {
  turnId: string | null;
  agentId: string;
  workId: string;
  index: number;
  text: string;
}

/** One line of the transcript the visitor sees. */
export interface Line {
  seq: number;
  turnId: string;
  who: "visitor" | "agent" | "notice";
  name: string;
  text: string;
  /** Still being written (from token deltas); its final text comes with the reply. */
  streaming?: boolean;
}

/** What survives a reload (sessionStorage): where this visitor's conversation began, and its turns. */
export interface Saved {
  fromSeq: number;
  turns: string[];
}

const KEPT = new Set(["message.posted", "agent.replied", "turn.started", "turn.completed", "turn.failed"]);
const MAX_EVENTS = 1000;

/**
 * The visitor's own conversation out of the group's stream: their messages and the replies in the
 * turns they opened. Events are kept by seq, so a replayed event (a resume, a reload) shows once.
 */
export function createConversation(saved: Saved | undefined) {
  const events = new Map<number, StreamEvent["event"]>();
  const turns = new Set(saved?.turns ?? []);
  const streams = new Map<string, { turnId: string; agentId: string; text: string; next: number }>();
  const names = new Map<string, string>();
  const settle = (turnId: string, agentId?: string) => {
    for (const [id, s] of streams)
      if (s.turnId === turnId && (!agentId || s.agentId === agentId)) streams.delete(id);
  };
  let fromSeq = saved?.fromSeq;
  let lastSeq = fromSeq ?? 0;
  return {
    /** Where to resume the stream: after the last event seen (undefined before any post: the live tail). */
    resumeAfter: (): number | undefined => (fromSeq === undefined ? undefined : lastSeq),
    add(e: StreamEvent): boolean {
      if (e.seq <= lastSeq && events.has(e.seq)) return false;
      lastSeq = Math.max(lastSeq, e.seq);
      if (!KEPT.has(e.event.type)) return false;
      events.set(e.seq, e.event);
      const { turnId, payload } = e.event;
      if (payload?.agentId && payload.agentName) names.set(payload.agentId, payload.agentName);
      if (turnId && e.event.type === "agent.replied") settle(turnId, payload?.agentId);
      if (turnId && (e.event.type === "turn.completed" || e.event.type === "turn.failed")) settle(turnId);
      if (events.size > MAX_EVENTS) {
        const oldest = events.keys().next().value;
        if (oldest !== undefined) events.delete(oldest);
      }
      return Boolean(e.event.turnId && turns.has(e.event.turnId));
    },
    /** A piece of an answer being written in one of this visitor's turns; false when not theirs or seen. */
    delta(d: DeltaFrame): boolean {
      if (!d.turnId || !turns.has(d.turnId)) return false;
      const s = streams.get(d.workId) ?? { turnId: d.turnId, agentId: d.agentId, text: "", next: 0 };
      if (d.index < s.next) return false;
      s.text += d.text;
      s.next = d.index + 1;
      streams.set(d.workId, s);
      return true;
    },
    /** A message this visitor posted: its turn's events are theirs to see. */
    posted(turnId: string, seq: number) {
      turns.add(turnId);
      if (fromSeq === undefined || seq - 1 < fromSeq) fromSeq = seq - 1;
      // The stream may not have reached the message yet: resume from before it, once.
      if (lastSeq < fromSeq) lastSeq = fromSeq;
    },
    lines(): Line[] {
      const out: Line[] = [];
      for (const seq of [...events.keys()].sort((a, b) => a - b)) {
        const e = events.get(seq);
        if (!e?.turnId || !turns.has(e.turnId)) continue;
        const text = e.payload?.content ?? "";
        const turnId = e.turnId;
        if (e.type === "message.posted") out.push({ seq, turnId, who: "visitor", name: "You", text });
        else if (e.type === "agent.replied" && (e.payload?.purpose ?? "reply") === "reply" && text) {
          const name = e.payload?.agentName ?? e.actor?.name ?? "Agent";
          out.push({ seq, turnId, who: "agent", name, text });
        } else if (e.type === "turn.failed")
          out.push({
            seq,
            turnId,
            who: "notice",
            name: "",
            text: "Sorry, no answer came. Please try again.",
          });
      }
      for (const s of streams.values()) {
        // A ballot or a speaker pick streams as JSON: it is no answer to show.
        if (s.text.trimStart().startsWith("{")) continue;
        const name = names.get(s.agentId) ?? "";
        out.push({
          seq: Number.MAX_SAFE_INTEGER,
          turnId: s.turnId,
          who: "agent",
          name,
          text: s.text,
          streaming: true,
        });
      }
      return out;
    },
    /** Whether a turn this visitor opened has not ended yet. */
    waiting(): boolean {
      const ended = new Set<string>();
      for (const e of events.values()) {
        if (!e.turnId || !turns.has(e.turnId)) continue;
        if (e.type === "turn.completed" || e.type === "turn.failed") ended.add(e.turnId);
      }
      for (const t of turns) if (!ended.has(t)) return true;
      return false;
    },
    saved: (): Saved | undefined => (fromSeq === undefined ? undefined : { fromSeq, turns: [...turns] }),
  };
}
