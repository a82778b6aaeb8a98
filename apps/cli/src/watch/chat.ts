import type { Directory } from "../directory.js";
import type { Frame } from "../follow.js";
import { describeEvent, readEvent } from "../replay/describe-event.js";
import type { Style } from "../term/style.js";

/** Turns the fanout's frames into chat text, as it should be written (lines may be left open). */
export interface ChatRenderer {
  /** The text this frame adds (maybe none, maybe the rest of an open line). */
  frame(f: Frame): string;
  /** What closes the output (the newline of a line still open). */
  end(): string;
}

/** Work items whose answer is in: their late deltas are dropped (at most this many remembered). */
const FINISHED_KEPT = 1_000;
const BODY_LINES = 3;

/**
 * A chat view of a group: people's messages and agents' answers as `Name: text`, an answer growing
 * on its speaker's line as its token deltas arrive (an answer interrupted by another line goes on,
 * marked `…`, on a line of its own, and is written whole once it is in), and everything else
 * (speakers chosen, votes, tools, failures, memory) as a dim line between them.
 */
export function createChatRenderer(options: { style: Style; directory: Directory }): ChatRenderer {
  const { style, directory } = options;
  /** The work item whose answer the open line is writing. */
  let open: string | null = null;
  /** Answers being written; `broken` once another line came between two of its deltas. */
  const streamed = new Map<string, { agentId: string; text: string; broken: boolean }>();
  const finished = new Set<string>();
  const palette = [style.green, style.yellow, style.magenta, style.cyan, style.blue];
  const colours = new Map<string, (s: string) => string>();
  const agentColour = (id: string) => {
    let c = colours.get(id);
    if (!c) {
      c = palette[colours.size % palette.length] ?? style.bold;
      colours.set(id, c);
    }
    return c;
  };
  const agentName = (id: string, name?: string) => name ?? directory.agent(id) ?? `agent ${id.slice(-8)}`;
  const speaker = (id: string, name?: string) => style.bold(agentColour(id)(agentName(id, name)));
  const close = () => {
    const s = open === null ? "" : "\n";
    open = null;
    return s;
  };
  const finish = (workId: string) => {
    streamed.delete(workId);
    finished.add(workId);
    if (finished.size > FINISHED_KEPT) finished.delete(finished.values().next().value ?? "");
  };

  const delta = (f: Frame): string => {
    const workId = typeof f.workId === "string" ? f.workId : "";
    const agentId = typeof f.agentId === "string" ? f.agentId : "";
    const text = typeof f.text === "string" ? f.text : "";
    if (!workId || finished.has(workId)) return "";
    const so = streamed.get(workId);
    if (so) so.text += text;
    else streamed.set(workId, { agentId, text, broken: false });
    if (open === workId) return text;
    if (so) so.broken = true;
    const s = `${close()}${speaker(agentId)}: ${so ? style.dim("… ") : ""}${text}`;
    open = workId;
    return s;
  };

  const event = (f: Frame): string => {
    const r = readEvent(f.event);
    directory.learn(r.event as Parameters<Directory["learn"]>[0]);
    if (!r.known) {
      const type = typeof r.event.type === "string" ? r.event.type : "event";
      return `${close()}${style.dim(`· ${type} ${describeEvent(r, directory).summary}`)}\n`;
    }
    const e = r.event;
    const workId = e.causationId ?? "";
    if (e.type === "message.posted") {
      const who = e.actor.name ?? directory.person(e.actor.id) ?? `user ${e.actor.id.slice(-8)}`;
      return `${close()}${style.bold(who)}: ${e.payload.content}\n`;
    }
    if (e.type === "agent.replied") {
      const p = e.payload;
      const meta = style.dim(
        `  (${[
          p.purpose && p.purpose !== "reply" ? p.purpose : "",
          p.usage ? `${p.usage.inputTokens}→${p.usage.outputTokens} tokens` : "",
          `${p.latencyMs} ms`,
        ]
          .filter(Boolean)
          .join(", ")})`,
      );
      const so = streamed.get(workId);
      finish(workId);
      // Written whole on one line: it only needs its end. Else the whole answer, on a line of its own.
      if (so && open === workId && !so.broken && so.text === p.content) {
        open = null;
        return `${meta}\n`;
      }
      return `${close()}${speaker(p.agentId, p.agentName)}: ${p.content}${meta}\n`;
    }
    // A call that streamed and ended another way (tools asked for, a summary) ends its line here.
    if (streamed.has(workId)) finish(workId);
    const d = describeEvent(r, directory);
    const tone = d.tone === "fail" ? style.red : style.dim;
    const body = d.tone === "answer" || d.tone === "person" ? [] : d.body;
    const lines = [
      tone(`· ${e.type} · ${d.actor}: ${d.summary}`),
      ...body.slice(0, BODY_LINES).map((l) => style.dim(`    ${l}`)),
      ...(body.length > BODY_LINES ? [style.dim(`    … ${body.length - BODY_LINES} more lines`)] : []),
    ];
    return `${close()}${lines.join("\n")}\n`;
  };

  return {
    frame(f) {
      switch (f.type) {
        case "delta":
          return delta(f);
        case "event":
          return event(f);
        case "subscribed":
          return `${close()}${style.dim(`following group ${String(f.groupId)}${f.afterSeq === null || f.afterSeq === undefined ? "" : ` after seq ${String(f.afterSeq)}`}`)}\n`;
        case "error":
          return `${close()}${style.red(`error ${String(f.code)}: ${String(f.message)}`)}\n`;
        case "welcome":
        case "heartbeat":
        case "pong":
        case "authenticated":
        case "unsubscribed":
          return "";
        default:
          return `${close()}${style.dim(JSON.stringify(f))}\n`;
      }
    },
    end: close,
  };
}
