import { type Event, EventType, type Message } from "@ag-ui/core";
import { assertNever } from "@conclave/errors";
import { type AnyEnvelope, isConvEvent, type TokenDelta, workOutcomeId } from "@conclave/subjects";
import { type Cursor, formatCursor } from "./cursor.js";
import { initialRunState, type Patch, type RunState, statePatcher } from "./run-state.js";

export interface RunIds {
  threadId: string;
  runId: string;
  turnId: string;
  /** The posted message that opened the turn, and its stream seq. */
  messageId: string;
  messageSeq: number;
}

/** One AG-UI event to send, with its SSE `id` (the cursor after it) and the stream seq it came from. */
export interface Output {
  id: string;
  event: Event;
}

export interface RunTranslator {
  /** RUN_STARTED and the first STATE_SNAPSHOT (nothing when the cursor is past them). */
  start(): Output[];
  /** One persisted event of the group, in stream order; events of other turns give nothing. */
  event(seq: number, envelope: AnyEnvelope): Output[];
  /** One token delta, live: its text streams while nothing was missed of its call. */
  delta(delta: TokenDelta): Output[];
  /**
   * RUN_ERROR for a caller who may no longer follow the run (access lost mid-turn): the stream
   * ends there, whatever the turn does; its id is the cursor of what was sent before.
   */
  accessLost(message: string): Output[];
  /** RUN_FINISHED or RUN_ERROR was produced. */
  readonly ended: boolean;
}

interface Open {
  /** Characters of the message sent so far. */
  sent: number;
  /** Its deltas are sent as they come (false once one was missed: the rest is sent with the reply). */
  live: boolean;
  next: number;
}

/**
 * Translates one turn of Conclave into one AG-UI run, resumably: every event of the turn, from its
 * message on, goes through it (those at or before the cursor only update what it knows), so what
 * a resumed stream sends is exactly what the dropped one had not. Pure: no I/O, no clock.
 */
export function createRunTranslator(
  ids: RunIds,
  agentNames: ReadonlyMap<string, string>,
  resume?: Cursor,
  /** The run input's messages: the MESSAGES_SNAPSHOT at the run's end starts with them, ids kept. */
  input: readonly Message[] = [],
): RunTranslator {
  const names = new Map(agentNames);
  const state: RunState = initialRunState(ids);
  const patcher = statePatcher(state);
  // What the client has: the cursor's parts, kept up to date as outputs are produced.
  let through = resume ? resume.seq : ids.messageSeq - 1;
  let part = resume?.part ?? 0;
  const open = new Map<string, Open>();
  const ended = new Set<string>();
  for (const [id, m] of resume?.marks ?? []) {
    if (m === "ended") ended.add(id);
    else open.set(id, { sent: m, live: false, next: -1 });
  }
  // Messages whose reply passed (never streamed again), and ones joined mid-call (sent whole at reply).
  const passed = new Set<string>();
  const joinedLate = new Set<string>();
  let done = false;
  // The run's messages as the turn recorded them: the input's, then each reply, tool call and result.
  const messages: Message[] = input.filter((m) => m.role !== "activity");
  const snapshot = (): Event =>
    ({ type: EventType.MESSAGES_SNAPSHOT, messages: structuredClone(messages) }) as Event;

  const cursor = (): Cursor => {
    const marks = new Map<string, number | "ended">();
    for (const [id, m] of open) marks.set(id, m.sent);
    for (const id of ended) marks.set(id, "ended");
    return { seq: through, part, marks };
  };
  const withRaw = (event: Event, seq: number, id: string): Event =>
    ({ ...event, rawEvent: { conclave: { seq, id } } }) as Event;

  /** Outputs of one step: text endings first (idempotent through the marks), then the step's own. */
  function step(seq: number, texts: (emit: (e: Event) => void) => void, own: Event[]): Output[] {
    const silent = seq <= through;
    const out: Output[] = [];
    const emit = (e: Event) => {
      if (!silent) out.push({ id: formatCursor(cursor()), event: e });
    };
    texts(emit);
    if (silent) {
      // Messages that passed before the cursor are no part of it.
      for (const id of passed) {
        open.delete(id);
        ended.delete(id);
      }
      return [];
    }
    const skip = part;
    own.slice(skip).forEach((e, i) => {
      part = skip + i + 1;
      out.push({ id: formatCursor(cursor()), event: e });
    });
    through = seq;
    part = 0;
    ended.clear();
    const last = out.at(-1);
    if (last) last.id = formatCursor(cursor());
    return out.map((o) => ({ id: o.id, event: withRaw(o.event, seq, o.id) }));
  }

  function start(messageId: string, agentId: string, emit: (e: Event) => void) {
    const name = names.get(agentId);
    emit({
      type: EventType.TEXT_MESSAGE_START,
      messageId,
      role: "assistant",
      ...(name ? { name } : {}),
    } as Event);
  }
  function content(messageId: string, delta: string, emit: (e: Event) => void) {
    emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta } as Event);
  }
  function end(messageId: string, emit: (e: Event) => void) {
    open.delete(messageId);
    ended.add(messageId);
    emit({ type: EventType.TEXT_MESSAGE_END, messageId } as Event);
  }

  /** An agent's message is final: send what the client has not seen of it, then its end. */
  function finish(messageId: string, agentId: string, text: string | null, emit: (e: Event) => void) {
    if (passed.has(messageId)) return;
    passed.add(messageId);
    joinedLate.delete(messageId);
    if (ended.has(messageId)) return;
    const m = open.get(messageId);
    if (!m) {
      if (!text) return;
      open.set(messageId, { sent: 0, live: false, next: -1 });
      start(messageId, agentId, emit);
    }
    const o = open.get(messageId);
    if (o && text && text.length > o.sent) {
      const rest = text.slice(o.sent);
      o.sent = text.length;
      content(messageId, rest, emit);
    }
    end(messageId, emit);
  }
  const finishAll = (emit: (e: Event) => void) => {
    for (const id of [...open.keys()]) {
      passed.add(id);
      end(id, emit);
    }
  };

  const delta = (ops: Patch[]): Event[] =>
    ops.length > 0 ? [{ type: EventType.STATE_DELTA, delta: ops } as Event] : [];
  const none = () => {};

  return {
    get ended() {
      return done;
    },
    accessLost(message) {
      if (done) return [];
      done = true;
      const id = formatCursor(cursor());
      const e = { type: EventType.RUN_ERROR, message, code: "access_lost" } as Event;
      return [{ id, event: withRaw(e, through, id) }];
    },
    start() {
      return step(ids.messageSeq, none, [
        { type: EventType.RUN_STARTED, threadId: ids.threadId, runId: ids.runId },
        { type: EventType.STATE_SNAPSHOT, snapshot: structuredClone(state) },
      ] as Event[]);
    },
    delta(d) {
      if (done || d.turnId !== ids.turnId) return [];
      const messageId = workOutcomeId(d.workId);
      if (passed.has(messageId) || ended.has(messageId) || joinedLate.has(messageId)) return [];
      const out: Output[] = [];
      const emit = (e: Event) => {
        out.push({ id: formatCursor(cursor()), event: withRaw(e, through, formatCursor(cursor())) });
      };
      let m = open.get(messageId);
      if (!m) {
        if (d.index !== 0) {
          joinedLate.add(messageId);
          return [];
        }
        m = { sent: 0, live: true, next: 0 };
        open.set(messageId, m);
        start(messageId, d.agentId, emit);
      }
      if (!m.live) return out;
      if (d.index !== m.next) {
        m.live = false;
        return out;
      }
      m.next++;
      if (d.text) {
        m.sent += d.text.length;
        content(messageId, d.text, emit);
      }
      return out;
    },
    event(seq, e) {
      if (done || e.turnId !== ids.turnId || !isConvEvent(e)) return [];
      if (seq <= ids.messageSeq) return [];
      switch (e.type) {
        case "turn.started":
          return step(seq, none, delta(patcher.turnStarted(e.payload, names)));
        case "speaker.selected":
          names.set(e.payload.agentId, e.payload.agentName);
          return step(seq, none, delta(patcher.speakerSelected(e.payload)));
        case "agent.replied":
          names.set(e.payload.agentId, e.payload.agentName);
          messages.push({
            id: e.id,
            role: "assistant",
            content: e.payload.content,
            name: e.payload.agentName,
          });
          return step(seq, (emit) => finish(e.id, e.payload.agentId, e.payload.content, emit), []);
        case "agent.tool_requested": {
          const p = e.payload;
          const name = names.get(p.agentId);
          messages.push({
            id: e.id,
            role: "assistant",
            ...(p.content ? { content: p.content } : {}),
            ...(name ? { name } : {}),
            toolCalls: p.calls.map((c) => ({
              id: c.key,
              type: "function" as const,
              function: { name: c.name, arguments: JSON.stringify(c.args) },
            })),
          });
          const calls = p.calls.flatMap((c) => [
            {
              type: EventType.TOOL_CALL_START,
              toolCallId: c.key,
              toolCallName: c.name,
              parentMessageId: e.id,
            },
            { type: EventType.TOOL_CALL_ARGS, toolCallId: c.key, delta: JSON.stringify(c.args) },
            { type: EventType.TOOL_CALL_END, toolCallId: c.key },
          ]) as Event[];
          return step(seq, (emit) => finish(e.id, p.agentId, p.content, emit), calls);
        }
        case "tool.completed": {
          const p = e.payload;
          const result = p.ok ? (p.result ?? null) : { error: p.error ?? { code: "failed", message: "" } };
          messages.push({ id: e.id, role: "tool", toolCallId: p.key, content: JSON.stringify(result) });
          return step(seq, none, [
            {
              type: EventType.TOOL_CALL_RESULT,
              messageId: e.id,
              toolCallId: p.key,
              content: JSON.stringify(result),
              role: "tool",
            } as Event,
          ]);
        }
        case "agent.failed":
          return step(
            seq,
            (emit) => finish(e.id, e.payload.agentId, null, emit),
            delta(patcher.agentFailed(e.payload)),
          );
        case "tool.approval_requested":
          return step(seq, none, delta(patcher.approvalRequested(e.payload)));
        case "tool.approved":
        case "tool.denied":
          return step(seq, none, delta(patcher.decided(e.payload.key, e.type === "tool.approved")));
        case "guard.triggered":
          return step(seq, none, delta(patcher.guard(e.payload)));
        case "vote.opened":
          return step(seq, none, delta(patcher.voteOpened(e.payload)));
        case "vote.cast":
          return step(seq, none, delta(patcher.voteCast(e.payload)));
        case "vote.closed":
          return step(seq, none, delta(patcher.voteClosed(e.payload)));
        case "consensus.reached":
        case "consensus.failed":
          return step(seq, none, delta(patcher.consensus(e.type, e.payload)));
        case "turn.cancel_requested":
          return step(seq, none, delta(patcher.cancelRequested()));
        case "turn.completed": {
          done = true;
          const finished = {
            type: EventType.RUN_FINISHED,
            threadId: ids.threadId,
            runId: ids.runId,
            outcome: { type: "success" },
            result: { turnId: ids.turnId, replyIds: e.payload.replyIds },
          } as Event;
          return step(seq, finishAll, [...delta(patcher.ended("completed")), snapshot(), finished]);
        }
        case "turn.failed": {
          done = true;
          const failed = {
            type: EventType.RUN_ERROR,
            message: e.payload.detail || e.payload.reason,
            code: e.payload.reason,
          } as Event;
          return step(seq, finishAll, [...delta(patcher.ended("failed", e.payload)), snapshot(), failed]);
        }
        case "message.posted":
        case "memory.updated":
        case "memory.reset":
        case "memory.summarized":
        case "budget.exceeded":
        case "budget.warning":
          return step(seq, none, []);
        default:
          return assertNever(e, "event");
      }
    },
  };
}
