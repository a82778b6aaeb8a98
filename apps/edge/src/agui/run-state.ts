import type {
  AgentFailed,
  ConsensusFailed,
  ConsensusReached,
  GuardTriggered,
  SpeakerSelected,
  ToolApprovalRequested,
  TurnFailed,
  TurnStarted,
  VoteCast,
  VoteClosed,
  VoteOpened,
} from "@conclave/subjects";

/** One JSON Patch (RFC 6902) operation, as STATE_DELTA carries them. */
export interface Patch {
  op: "add" | "replace";
  path: string;
  value: unknown;
}

/** The AG-UI run's shared state: what the strategy decided in the turn, as it decides it. */
export interface RunState {
  turnId: string;
  messageId: string;
  status: "queued" | "running" | "completed" | "failed";
  strategy: string | null;
  agents: { agentId: string; agentName: string | null }[];
  /** The latest speaker chosen, and why; `speakers` lists every choice in order. */
  speaker: Speaker | null;
  speakers: Speaker[];
  vote: Omit<VoteOpened, "deadline"> | null;
  ballots: {
    agentId: string;
    agentName: string;
    choice: string | null;
    confidence: number;
    rationale: string;
  }[];
  tally: Omit<VoteClosed, "voteId"> | null;
  outcome:
    | ({ consensus: true } & Omit<ConsensusReached, "voteId" | "answer">)
    | ({ consensus: false } & Omit<ConsensusFailed, "voteId">)
    | null;
  approvals: Record<
    string,
    { agentId: string; name: string; args: unknown; status: "waiting" | "approved" | "denied" }
  >;
  failures: { agentId: string; agentName: string; error: string }[];
  guards: { code: string; reason: string }[];
  cancelRequested: boolean;
  error: { reason: TurnFailed["reason"]; detail: string } | null;
}
type Speaker = Pick<SpeakerSelected, "agentId" | "agentName" | "rule" | "reason"> & { round: number | null };

export function initialRunState(ids: { turnId: string; messageId: string }): RunState {
  return {
    turnId: ids.turnId,
    messageId: ids.messageId,
    status: "queued",
    strategy: null,
    agents: [],
    speaker: null,
    speakers: [],
    vote: null,
    ballots: [],
    tally: null,
    outcome: null,
    approvals: {},
    failures: [],
    guards: [],
    cancelRequested: false,
    error: null,
  };
}

/** JSON Pointer escaping of one key (RFC 6901). */
const key = (k: string) => k.replaceAll("~", "~0").replaceAll("/", "~1");

/** Changes `state` for each decision of the turn, and answers the patch that made the change. */
export function statePatcher(state: RunState) {
  const set = <K extends keyof RunState>(field: K, value: RunState[K]): Patch => {
    state[field] = value;
    return { op: "replace", path: `/${field}`, value: structuredClone(value) };
  };
  const push = <K extends "speakers" | "ballots" | "failures" | "guards">(
    field: K,
    value: RunState[K][number],
  ): Patch => {
    (state[field] as unknown[]).push(value);
    return { op: "add", path: `/${field}/-`, value: structuredClone(value) };
  };
  return {
    turnStarted(p: TurnStarted, names: ReadonlyMap<string, string>): Patch[] {
      return [
        set("status", "running"),
        set("strategy", p.strategy),
        set(
          "agents",
          p.agentIds.map((agentId) => ({ agentId, agentName: names.get(agentId) ?? null })),
        ),
      ];
    },
    speakerSelected(p: SpeakerSelected): Patch[] {
      const speaker: Speaker = {
        agentId: p.agentId,
        agentName: p.agentName,
        rule: p.rule,
        reason: p.reason,
        round: p.round ?? null,
      };
      return [set("speaker", speaker), push("speakers", { ...speaker })];
    },
    agentFailed(p: AgentFailed): Patch[] {
      return [push("failures", { agentId: p.agentId, agentName: p.agentName, error: p.error })];
    },
    approvalRequested(p: ToolApprovalRequested): Patch[] {
      const value = { agentId: p.agentId, name: p.name, args: p.args, status: "waiting" as const };
      state.approvals[p.key] = value;
      return [{ op: "add", path: `/approvals/${key(p.key)}`, value: structuredClone(value) }];
    },
    decided(k: string, approved: boolean): Patch[] {
      const call = state.approvals[k];
      if (!call) return [];
      call.status = approved ? "approved" : "denied";
      return [{ op: "replace", path: `/approvals/${key(k)}/status`, value: call.status }];
    },
    guard(p: GuardTriggered): Patch[] {
      return [push("guards", { code: p.code, reason: p.reason })];
    },
    voteOpened(p: VoteOpened): Patch[] {
      const { deadline: _, ...vote } = p;
      return [set("vote", vote), set("ballots", []), set("tally", null), set("outcome", null)];
    },
    voteCast(p: VoteCast): Patch[] {
      return [
        push("ballots", {
          agentId: p.agentId,
          agentName: p.agentName,
          choice: p.choice,
          confidence: p.confidence,
          rationale: p.rationale,
        }),
      ];
    },
    voteClosed(p: VoteClosed): Patch[] {
      const { voteId: _, ...tally } = p;
      return [set("tally", tally)];
    },
    consensus(
      type: "consensus.reached" | "consensus.failed",
      p: ConsensusReached | ConsensusFailed,
    ): Patch[] {
      if (type === "consensus.reached") {
        const { voteId: _, answer: __, ...r } = p as ConsensusReached;
        return [set("outcome", { consensus: true, ...r })];
      }
      const { voteId: _, ...f } = p as ConsensusFailed;
      return [set("outcome", { consensus: false, ...f })];
    },
    cancelRequested(): Patch[] {
      return state.cancelRequested ? [] : [set("cancelRequested", true)];
    },
    ended(status: "completed" | "failed", failed?: TurnFailed): Patch[] {
      const ops = [set("status", status)];
      if (failed) ops.push(set("error", { reason: failed.reason, detail: failed.detail }));
      return ops;
    },
  };
}
