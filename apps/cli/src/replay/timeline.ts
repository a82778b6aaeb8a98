import { CONV_EVENT_TYPES } from "@conclave/subjects";
import type { Directory } from "../directory.js";
import type { Style } from "../term/style.js";
import { type Described, describeEvent, readEvent } from "./describe-event.js";

/** One replayed event as the API streams it. */
export interface ReplayedEvent {
  seq: number;
  event: unknown;
}

export interface TimelineOptions {
  style: Style;
  directory?: Directory;
}

/** Turns events into timeline lines one at a time (it remembers when each turn began). */
export interface Timeline {
  lines(e: ReplayedEvent): string[];
}

const ACTOR_WIDTH = 14;
const TYPE_WIDTH = Math.max(...CONV_EVENT_TYPES.map((t) => t.length));
/** `+123456ms`, or a clock time `10:00:00.000` outside turns. */
const TIME_WIDTH = 12;
const SEQ_WIDTH = 7;
const INDENT = " ".repeat(SEQ_WIDTH + 1 + TIME_WIDTH + 1 + ACTOR_WIDTH + 1 + TYPE_WIDTH + 1);

/**
 * The pretty view: `#seq  +ms  actor  type  what happened`, the time counted from the first event
 * of the event's turn (a clock time for events outside turns), a rule line where a turn begins,
 * longer text indented under its event.
 */
export function createTimeline(options: TimelineOptions): Timeline {
  const { style, directory } = options;
  const turnStart = new Map<string, number>();
  const toneOf: Record<Described["tone"], (s: string) => string> = {
    fail: style.red,
    vote: style.magenta,
    tool: style.cyan,
    answer: style.green,
    person: style.bold,
    memory: style.blue,
    plain: (s) => s,
  };
  return {
    lines({ seq, event }) {
      const r = readEvent(event);
      const raw = r.event as { type?: unknown; turnId?: unknown; at?: unknown };
      directory?.learn(r.event as Parameters<Directory["learn"]>[0]);
      const type = typeof raw.type === "string" ? raw.type : "?";
      const at = typeof raw.at === "string" ? Date.parse(raw.at) : Number.NaN;
      const turnId = typeof raw.turnId === "string" ? raw.turnId : null;
      const out: string[] = [];
      let time: string;
      if (turnId && Number.isFinite(at)) {
        let start = turnStart.get(turnId);
        if (start === undefined) {
          start = at;
          turnStart.set(turnId, at);
          out.push(style.dim(`── turn ${turnId} · ${new Date(at).toISOString()} ──`));
        }
        time = `+${at - start}ms`;
      } else time = Number.isFinite(at) ? new Date(at).toISOString().slice(11, 23) : "";
      const d = describeEvent(r, directory);
      const tone = toneOf[d.tone];
      const head = [
        style.dim(`#${String(seq).padEnd(SEQ_WIDTH - 1)}`),
        time.padStart(TIME_WIDTH),
        // A longer name or type pushes the line on rather than lose its end.
        style.bold(d.actor.padEnd(ACTOR_WIDTH)),
        tone(type.padEnd(TYPE_WIDTH)),
        r.known ? d.summary : `${style.dim("(unknown to this CLI)")} ${d.summary}`,
      ].join(" ");
      out.push(head.trimEnd());
      for (const line of d.body) out.push(`${INDENT}${style.dim("│")} ${line}`.trimEnd());
      return out;
    },
  };
}

/** The whole timeline of `events` (a pure function of them and the names given). */
export function formatTimeline(events: readonly ReplayedEvent[], options: TimelineOptions): string[] {
  const t = createTimeline(options);
  return events.flatMap((e) => t.lines(e));
}
