import { deriveEventId } from "@conclave/subjects";
import { END, START, StateGraph } from "@langchain/langgraph";
import { tally } from "../../rules/index.js";
import { answerMessages, ballotMessages, type Option } from "../prompts.js";
import {
  latestBySpeaker,
  type S,
  Step,
  stillWaiting,
  TurnState,
  type U,
  type VoteState,
  wait,
} from "../turn-state.js";
import { askEveryone } from "./broadcast.js";

// ---- debate and vote -----------------------------------------------------------------------------

function debateOrBallot(s: S): U {
  if (s.round < s.spec.rounds) {
    const step = new Step(s);
    const round = s.round + 1;
    for (const agent of s.spec.speakers) {
      const instruction = `Debate round ${round} of ${s.spec.rounds}. You are ${agent.name}. Weigh the other answers above against yours, then give your answer in full (revised or not).`;
      step.ask(
        agent,
        "reply",
        round,
        answerMessages(s.spec.prompt, latestBySpeaker(s, agent.id), agent.name, instruction),
      );
    }
    return step.update({ round });
  }
  const step = new Step(s);
  const options: Option[] = s.spec.speakers.flatMap((sp) => {
    const last = s.answers.filter((a) => a.agentId === sp.id && a.ok && a.purpose === "reply").at(-1);
    return last ? [{ choice: sp.name, agentId: sp.id, content: last.content }] : [];
  });
  if (options.length === 0) {
    step.emit({ kind: "end", ok: true, detail: "no answers to vote on" });
    return step.update();
  }
  const voteId = deriveEventId(s.spec.turnId, "vote");
  const deadline = new Date(Date.parse(s.at) + s.spec.voting.deadlineMs).toISOString();
  step.emit({
    kind: "vote.opened",
    payload: {
      voteId,
      question: s.spec.prompt.content.slice(0, 20_000),
      options: options.map((o) => ({
        choice: o.choice,
        agentId: o.agentId,
        summary: o.content.slice(0, 2000),
      })),
      voters: s.spec.speakers.map((a) => ({ agentId: a.id, agentName: a.name, seat: a.seat })),
      rule: s.spec.voting.rule,
      quorum: s.spec.voting.quorum,
      deadline,
    },
  });
  step.emit({ kind: "timer", key: `timer:vote:${voteId}`, dueAt: deadline, voteId });
  for (const agent of s.spec.speakers)
    step.ask(agent, "ballot", s.round, ballotMessages(s.spec.prompt, options, agent.name));
  return step.update({ vote: { voteId, options, ballots: [], deadline, closedBy: null } });
}

function closeVote(s: S): U {
  const step = new Step(s);
  const vote = s.vote as VoteState;
  const result = tally({
    ballots: vote.ballots,
    voters: s.spec.speakers.map((a) => ({ agentId: a.id, seat: a.seat })),
    rule: s.spec.voting.rule,
    quorum: s.spec.voting.quorum,
  });
  step.emit({
    kind: "vote.closed",
    payload: {
      voteId: vote.voteId,
      closedBy: vote.closedBy ?? "all_voted",
      winner: result.winner,
      leader: result.leader,
      outcome: result.consensus === "reached" ? `reached:${result.code}` : `failed:${result.code}`,
      reason: result.reason,
      choices: result.choices.map((c) => ({
        choice: c.choice,
        count: c.count,
        share: c.share,
        meanConfidence: c.meanConfidence,
        voters: [...c.voters],
      })),
      tieBreak: result.tieBreak ? { tied: [...result.tieBreak.tied], by: result.tieBreak.by } : null,
      turnout: {
        eligible: result.turnout.eligible,
        voted: result.turnout.voted,
        abstained: result.turnout.abstained,
        missing: [...result.turnout.missing],
      },
      quorum: result.quorum,
    },
  });
  if (result.consensus === "reached") {
    const answer = vote.options.find((o) => o.choice === result.winner)?.content;
    step.emit({
      kind: "consensus",
      reached: true,
      payload: {
        voteId: vote.voteId,
        choice: result.winner,
        confidence: result.confidence,
        rule: result.code,
        ...(answer !== undefined ? { answer } : {}),
      },
    });
  } else {
    const leaderShare = result.choices[0]?.share ?? 0;
    step.emit({
      kind: "consensus",
      reached: false,
      payload: {
        voteId: vote.voteId,
        code: result.code,
        reason: result.reason,
        leader: result.leader,
        confidence: leaderShare,
      },
    });
  }
  step.emit({ kind: "end", ok: true, detail: result.reason });
  return step.update({ vote: { ...vote, closedBy: vote.closedBy ?? "all_voted" } });
}

/** `debate_vote`: all answer, debate the rounds asked, then vote; the tally decides the consensus. */
export function debateVoteGraph() {
  return new StateGraph(TurnState)
    .addNode("open", (s) => askEveryone(s))
    .addNode("debate", debateOrBallot)
    .addNode("close", closeVote)
    .addNode("wait", wait)
    .addEdge(START, "open")
    .addConditionalEdges("open", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges("debate", (s) => (stillWaiting(s) ? "wait" : END), ["wait", END])
    .addConditionalEdges("wait", (s) => (stillWaiting(s) ? "wait" : s.vote ? "close" : "debate"), [
      "wait",
      "debate",
      "close",
    ])
    .addEdge("close", END);
}
