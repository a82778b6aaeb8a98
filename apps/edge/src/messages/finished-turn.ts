import type { AnyEnvelope, Envelope } from "@conclave/subjects";
import type { FinishedTurnView, PostedView } from "./schemas.js";

/** An event as the stream delivered it. */
export interface StreamEvent {
  seq: number;
  event: AnyEnvelope;
}

type Vote = NonNullable<FinishedTurnView["vote"]>;
type Reply = Envelope<"agent.replied">;

/** Whether this event ends the turn. */
export function isOutcome(e: AnyEnvelope): e is Envelope<"turn.completed"> | Envelope<"turn.failed"> {
  return e.type === "turn.completed" || e.type === "turn.failed";
}

/**
 * The finished turn from its events in stream order (other turns' are passed over), or undefined
 * while its outcome is not among them. Replies are those the outcome lists (`replyIds`): answers,
 * not the ballots of a vote nor a selector's picks, which are `agent.replied` events too.
 */
export function finishedTurn(
  ids: Pick<PostedView, "messageId" | "turnId" | "seq">,
  events: readonly StreamEvent[],
): FinishedTurnView | undefined {
  const own = events.filter(({ event }) => event.turnId === ids.turnId);
  const outcome = own.map(({ event }) => event).find(isOutcome);
  if (!outcome) return undefined;
  const answers = new Set(outcome.payload.replyIds);
  const replies: { seq: number; event: Reply }[] = [];
  const usage = { inputTokens: 0, outputTokens: 0 };
  let strategy: FinishedTurnView["strategy"] = null;
  let vote: Vote | null = null;
  const voteFor = (voteId: string): Vote | undefined => {
    vote ??= newVote(voteId);
    // One vote per turn; another id would not be this turn's ballot.
    return vote.voteId === voteId ? vote : undefined;
  };
  for (const { seq, event: e } of own) {
    switch (e.type) {
      case "turn.started":
        strategy = e.payload.strategy;
        break;
      case "agent.replied":
        if (answers.has(e.id)) replies.push({ seq, event: e });
        addUsage(usage, e.payload.usage);
        break;
      case "agent.tool_requested":
        addUsage(usage, e.payload.usage);
        break;
      case "vote.opened": {
        const v = voteFor(e.payload.voteId);
        if (!v) break;
        const { question, options, rule, quorum, deadline } = e.payload;
        Object.assign(v, { question, options, rule, quorum, deadline } satisfies Partial<Vote>);
        break;
      }
      case "vote.cast": {
        const v = voteFor(e.payload.voteId);
        // An agent's first ballot is the one that counts.
        if (!v || v.ballots.some((b) => b.agentId === e.payload.agentId)) break;
        const { agentId, agentName, choice, confidence, rationale, replyId } = e.payload;
        v.ballots.push({ agentId, agentName, choice, confidence, rationale, replyId: replyId ?? null });
        break;
      }
      case "vote.closed": {
        const v = voteFor(e.payload.voteId);
        if (!v) break;
        const p = e.payload;
        Object.assign(v, {
          status: "closed",
          closedBy: p.closedBy,
          winner: p.winner,
          leader: p.leader,
          reason: p.reason,
          tally: { choices: p.choices, tieBreak: p.tieBreak, turnout: p.turnout, quorum: p.quorum },
        } satisfies Partial<Vote>);
        break;
      }
      case "consensus.reached": {
        const v = voteFor(e.payload.voteId);
        if (!v) break;
        const p = e.payload;
        v.consensus = {
          status: "reached",
          choice: p.choice,
          code: null,
          reason: null,
          confidence: p.confidence,
          answer: p.answer ?? null,
        };
        break;
      }
      case "consensus.failed": {
        const v = voteFor(e.payload.voteId);
        if (!v) break;
        const p = e.payload;
        v.consensus = {
          status: "failed",
          choice: null,
          code: p.code,
          reason: p.reason,
          confidence: p.confidence,
          answer: null,
        };
        break;
      }
      default:
        // The rest (the message, speakers, tools, guards) is in the history, not in this answer.
        break;
    }
  }
  const failed = outcome.type === "turn.failed" ? outcome.payload : undefined;
  return {
    messageId: ids.messageId,
    turnId: ids.turnId,
    seq: ids.seq,
    status: failed ? "failed" : "completed",
    reason: failed?.reason ?? null,
    detail: failed?.detail ?? null,
    strategy,
    durationMs: outcome.payload.durationMs,
    endedAt: outcome.at,
    replies: replies.map(({ seq, event: e }) => ({
      id: e.id,
      seq,
      agentId: e.payload.agentId,
      agentName: e.payload.agentName,
      content: e.payload.content,
      provider: e.payload.provider,
      model: e.payload.model,
      usage: e.payload.usage ?? null,
      at: e.at,
    })),
    vote,
    usage,
  };
}

function newVote(voteId: string): Vote {
  return {
    voteId,
    status: "open",
    question: null,
    rule: null,
    quorum: null,
    options: [],
    deadline: null,
    closedBy: null,
    winner: null,
    leader: null,
    reason: null,
    tally: null,
    ballots: [],
    consensus: null,
  };
}

function addUsage(
  total: { inputTokens: number; outputTokens: number },
  u?: { inputTokens: number; outputTokens: number },
) {
  if (!u) return;
  total.inputTokens += u.inputTokens;
  total.outputTokens += u.outputTokens;
}
