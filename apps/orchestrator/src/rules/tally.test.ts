import { AppError } from "@conclave/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allVoted,
  type Ballot,
  type Quorum,
  type TallyResult,
  tally,
  type VoteRule,
  type Voter,
} from "./tally.js";

const votersOf = (n: number): Voter[] => Array.from({ length: n }, (_, i) => ({ agentId: `a${i}`, seat: i }));
/** Ballot `i` is agent `a<i>`'s, in stream order `i` unless told otherwise. */
const ballots = (...choices: (string | null)[]): Ballot[] =>
  choices.map((choice, i) => ({ agentId: `a${i}`, choice, confidence: 0.5, rationale: "", order: i }));
const ballot = (agentId: string, choice: string | null, confidence = 0.5, order = 0): Ballot => ({
  agentId,
  choice,
  confidence,
  rationale: "",
  order,
});
const majority: VoteRule = { kind: "majority" };
const twoThirds: VoteRule = { kind: "supermajority", threshold: 2 / 3 };
const unanimous: VoteRule = { kind: "unanimous" };
const count = (min: number): Quorum => ({ kind: "count", min });
const share = (min: number): Quorum => ({ kind: "share", min });

describe("tally: outcomes", () => {
  const cases: {
    name: string;
    eligible: number;
    ballots: Ballot[];
    rule?: VoteRule;
    quorum?: Quorum;
    want: Partial<TallyResult>;
  }[] = [
    { name: "no ballots, default quorum of one vote", eligible: 3, ballots: [], want: { code: "no_quorum" } },
    {
      name: "no ballots and no quorum",
      eligible: 3,
      ballots: [],
      quorum: count(0),
      want: { code: "no_votes", leader: null },
    },
    { name: "all abstain", eligible: 3, ballots: ballots(null, null, null), want: { code: "no_quorum" } },
    {
      name: "all abstain and no quorum",
      eligible: 3,
      ballots: ballots(null, null, null),
      quorum: count(0),
      want: { code: "no_votes" },
    },
    {
      name: "majority 2 of 3",
      eligible: 3,
      ballots: ballots("A", "A", "B"),
      want: { consensus: "reached", code: "majority", winner: "A", confidence: 2 / 3 },
    },
    {
      name: "exactly half is not a majority",
      eligible: 4,
      ballots: ballots("A", "A", "B", "C"),
      want: { consensus: "failed", code: "no_majority", winner: null, confidence: null, leader: "A" },
    },
    {
      name: "2–2 is a tie",
      eligible: 4,
      ballots: ballots("A", "B", "A", "B"),
      want: { code: "tie", winner: null },
    },
    {
      name: "abstentions do not count against a majority",
      eligible: 5,
      ballots: ballots("A", null, null, "A", "B"),
      want: { code: "majority", winner: "A", confidence: 2 / 3 },
    },
    {
      name: "quorum count exactly met",
      eligible: 5,
      ballots: ballots("A", "A", "B"),
      quorum: count(3),
      want: { code: "majority", quorum: { required: 3, met: true } },
    },
    {
      name: "quorum count missed by one",
      eligible: 5,
      ballots: ballots("A", "A", null),
      quorum: count(3),
      want: { code: "no_quorum", quorum: { required: 3, met: false }, leader: "A" },
    },
    {
      name: "quorum share 0.6 of 5 is 3 voters, exactly met",
      eligible: 5,
      ballots: ballots("A", "A", "B"),
      quorum: share(0.6),
      want: { code: "majority", quorum: { required: 3, met: true } },
    },
    {
      name: "quorum share 0.6 of 5 missed",
      eligible: 5,
      ballots: ballots("A", "A"),
      quorum: share(0.6),
      want: { code: "no_quorum", quorum: { required: 3, met: false } },
    },
    {
      name: "quorum share 0.5 of 5 rounds up to 3",
      eligible: 5,
      ballots: ballots("A", "A"),
      quorum: share(0.5),
      want: { code: "no_quorum", quorum: { required: 3, met: false } },
    },
    {
      name: "quorum share 1 needs everyone",
      eligible: 3,
      ballots: ballots("A", "A", "A"),
      quorum: share(1),
      want: { code: "majority", quorum: { required: 3, met: true } },
    },
    {
      name: "supermajority 2/3: 2 of 3 meets the threshold exactly",
      eligible: 3,
      ballots: ballots("A", "A", "B"),
      rule: twoThirds,
      want: { code: "supermajority", winner: "A" },
    },
    {
      name: "supermajority 2/3: 4 of 6 meets it exactly",
      eligible: 6,
      ballots: ballots("A", "A", "B", "A", "A", "C"),
      rule: twoThirds,
      want: { code: "supermajority", winner: "A" },
    },
    {
      name: "supermajority 2/3: 3 of 5 is a majority but below",
      eligible: 5,
      ballots: ballots("A", "A", "B", "A", "B"),
      rule: twoThirds,
      want: { code: "no_supermajority", leader: "A" },
    },
    {
      name: "supermajority 0.7: 7 of 10 meets it exactly",
      eligible: 10,
      ballots: ballots("A", "A", "A", "A", "A", "A", "A", "B", "B", "B"),
      rule: { kind: "supermajority", threshold: 0.7 },
      want: { code: "supermajority" },
    },
    {
      name: "supermajority 0.75: 2 of 3 is below",
      eligible: 3,
      ballots: ballots("A", "A", "B"),
      rule: { kind: "supermajority", threshold: 0.75 },
      want: { code: "no_supermajority" },
    },
    {
      name: "supermajority 1 behaves as unanimity of votes cast",
      eligible: 3,
      ballots: ballots("A", null, "A"),
      rule: { kind: "supermajority", threshold: 1 },
      want: { code: "supermajority", confidence: 1 },
    },
    {
      name: "supermajority tie",
      eligible: 2,
      ballots: ballots("A", "B"),
      rule: twoThirds,
      want: { code: "tie" },
    },
    {
      name: "unanimous",
      eligible: 3,
      ballots: ballots("A", "A", "A"),
      rule: unanimous,
      want: { code: "unanimous", winner: "A", confidence: 1 },
    },
    {
      name: "unanimous with one dissent",
      eligible: 4,
      ballots: ballots("A", "A", "A", "B"),
      rule: unanimous,
      want: { code: "dissent", leader: "A" },
    },
    {
      name: "unanimous: an abstention is not dissent",
      eligible: 3,
      ballots: ballots("A", null, "A"),
      rule: unanimous,
      want: { code: "unanimous", winner: "A" },
    },
    {
      name: "unanimous: a tie reads as dissent",
      eligible: 2,
      ballots: ballots("A", "B"),
      rule: unanimous,
      want: { code: "dissent" },
    },
    {
      name: "deadline: missing ballots are abstentions, so a small majority of the few who voted wins",
      eligible: 5,
      ballots: ballots("A", "A"),
      want: {
        code: "majority",
        winner: "A",
        turnout: { eligible: 5, voted: 2, abstained: 0, missing: ["a2", "a3", "a4"], share: 0.4 },
      },
    },
    {
      name: "deadline: missing ballots can sink the quorum",
      eligible: 5,
      ballots: ballots("A", "A"),
      quorum: share(0.5),
      want: {
        code: "no_quorum",
        turnout: { eligible: 5, voted: 2, abstained: 0, missing: ["a2", "a3", "a4"], share: 0.4 },
      },
    },
    {
      name: "no one eligible",
      eligible: 0,
      ballots: [],
      quorum: share(0.5),
      want: { code: "no_votes", turnout: { eligible: 0, voted: 0, abstained: 0, missing: [], share: 0 } },
    },
  ];
  it.each(cases)("$name", ({ eligible, ballots, rule, quorum, want }) => {
    const result = tally({
      ballots,
      voters: votersOf(eligible),
      ...(rule && { rule }),
      ...(quorum && { quorum }),
    });
    expect(result).toMatchObject(want);
    expect(result.consensus).toBe(result.winner === null ? "failed" : "reached");
  });

  it("reports per-choice counts, shares, confidences and voters in seat order", () => {
    const r = tally({
      voters: votersOf(5),
      ballots: [
        ballot("a3", "A", 0.9, 1),
        ballot("a0", "B", 0.2, 2),
        ballot("a1", "A", 0.6, 3),
        ballot("a2", null, 1, 4),
        ballot("a4", "A", 0.3, 5),
      ],
    });
    expect(r.choices).toEqual([
      {
        choice: "A",
        count: 3,
        share: 0.75,
        meanConfidence: 0.6,
        totalConfidence: 1.8,
        firstSeat: 1,
        voters: ["a1", "a3", "a4"],
      },
      {
        choice: "B",
        count: 1,
        share: 0.25,
        meanConfidence: 0.2,
        totalConfidence: 0.2,
        firstSeat: 0,
        voters: ["a0"],
      },
    ]);
    expect(r.turnout).toEqual({ eligible: 5, voted: 4, abstained: 1, missing: [], share: 0.8 });
    expect(r.reason).toBe('"A" won 3 of 4 votes cast (75%), a majority; 4 of 5 eligible voted');
  });

  it("clamps confidences outside 0..1 and counts NaN as 0", () => {
    const r = tally({
      voters: votersOf(3),
      ballots: [ballot("a0", "A", 7, 0), ballot("a1", "A", -1, 1), ballot("a2", "A", Number.NaN, 2)],
    });
    expect(r.choices[0]).toMatchObject({ totalConfidence: 1, meanConfidence: 1 / 3 });
  });

  it.each([
    [
      "no_quorum",
      { ballots: ballots("A"), quorum: count(2) },
      "no quorum: 1 of 3 eligible voted, 2 required",
    ],
    [
      "no_votes",
      { ballots: ballots(null), quorum: count(0) },
      "no votes cast: all 3 eligible abstained or were missing",
    ],
    [
      "no_majority",
      { ballots: ballots("A", "B", "C"), rule: majority },
      'tie: "A", "B", "C" have 1 of 3 votes each; leader "A" by lowest seat',
    ],
    [
      "no_supermajority",
      { ballots: ballots("A", "A", "B", "A", "B"), rule: twoThirds },
      'no supermajority: leader "A" has 3 of 5 votes cast (60%), 67% needed',
    ],
    [
      "dissent",
      { ballots: ballots("A", "B", "A"), rule: unanimous },
      "dissent: 2 choices among 3 votes cast, unanimity needed",
    ],
    [
      "unanimous",
      { ballots: ballots("A", "A", null), rule: unanimous },
      '"A" won all 2 votes cast, unanimous; 2 of 3 eligible voted',
    ],
    [
      "supermajority",
      { ballots: ballots("A", "A", "B"), rule: twoThirds },
      '"A" won 2 of 3 votes cast (67%), at least 67%; 3 of 3 eligible voted',
    ],
  ] as const)("explains %s", (_, input, reason) => {
    const voters = votersOf(Math.max(3, input.ballots.length));
    expect(tally({ voters, ...input }).reason).toBe(reason);
  });

  it("explains a unique leader without a majority", () => {
    const r = tally({ voters: votersOf(5), ballots: ballots("A", "A", "B", "C", "D") });
    expect(r.reason).toBe('no majority: leader "A" has 2 of 5 votes cast (40%), more than half needed');
  });
});

describe("tally: ties", () => {
  it("breaks a 2-way tie by mean confidence, and still fails: a tie is never a majority", () => {
    const r = tally({
      voters: votersOf(4),
      ballots: [
        ballot("a0", "A", 0.4),
        ballot("a1", "B", 0.9),
        ballot("a2", "A", 0.4),
        ballot("a3", "B", 0.8),
      ],
    });
    expect(r).toMatchObject({
      consensus: "failed",
      code: "tie",
      leader: "B",
      tieBreak: { tied: ["B", "A"], by: "mean_confidence" },
    });
    expect(r.reason).toBe('tie: "B", "A" have 2 of 4 votes each; leader "B" by mean confidence');
  });

  it("compares exact means: 0.1 + 0.2 ties 0.3 + 0.0, so the seat decides", () => {
    const r = tally({
      voters: votersOf(4),
      ballots: [ballot("a0", "B", 0.3), ballot("a1", "A", 0.1), ballot("a2", "A", 0.2), ballot("a3", "B", 0)],
    });
    expect(r.tieBreak).toEqual({ tied: ["B", "A"], by: "first_seat" });
  });

  it("breaks a 2-way tie with equal confidence by the lowest seat that voted for it", () => {
    const r = tally({ voters: votersOf(2), ballots: [ballot("a1", "A"), ballot("a0", "B")] });
    expect(r).toMatchObject({ code: "tie", leader: "B", tieBreak: { tied: ["B", "A"], by: "first_seat" } });
  });

  it("breaks a 2-way tie by choice order only when seats are shared", () => {
    const voters = [
      { agentId: "x", seat: 0 },
      { agentId: "y", seat: 0 },
    ];
    const r = tally({ voters, ballots: [ballot("x", "b"), ballot("y", "a")] });
    expect(r.tieBreak).toEqual({ tied: ["a", "b"], by: "choice" });
    // Code-unit order, not locale: "B" sorts before "a".
    expect(tally({ voters, ballots: [ballot("x", "a"), ballot("y", "B")] }).leader).toBe("B");
  });

  it.each([
    {
      level: "mean_confidence",
      confidences: [0.9, 0.5, 0.5],
      seats: [2, 0, 1],
      tied: ["A", "B", "C"],
    },
    {
      level: "first_seat",
      confidences: [0.5, 0.5, 0.4],
      seats: [2, 0, 1],
      tied: ["B", "A", "C"],
    },
    {
      level: "choice",
      confidences: [0.5, 0.5, 0.5],
      seats: [0, 0, 0],
      tied: ["A", "B", "C"],
    },
  ] as const)("breaks a 3-way tie at the $level level", ({ level, confidences, seats, tied }) => {
    const voters = seats.map((seat, i) => ({ agentId: `v${i}`, seat }));
    const choices = ["A", "B", "C"];
    const r = tally({
      voters,
      ballots: voters.map((v, i) => ballot(v.agentId, choices[i] ?? null, confidences[i], i)),
    });
    expect(r).toMatchObject({ code: "tie", leader: tied[0], tieBreak: { tied, by: level } });
    expect(r.choices.map((c) => c.choice)).toEqual(tied);
  });

  it("only ties at the top count: a unique leader with tied runners-up has no tie-break", () => {
    const r = tally({ voters: votersOf(4), ballots: ballots("A", "A", "B", "C") });
    expect(r).toMatchObject({ code: "no_majority", leader: "A", tieBreak: null });
    expect(r.choices.map((c) => c.choice)).toEqual(["A", "B", "C"]);
  });
});

describe("tally: which ballots count", () => {
  it("ignores ballots of agents that may not vote", () => {
    const r = tally({
      voters: votersOf(2),
      ballots: [ballot("a0", "A"), ballot("intruder", "B", 1, 1), ballot("intruder2", "B", 1, 2)],
    });
    expect(r).toMatchObject({ winner: "A", turnout: { voted: 1, missing: ["a1"] } });
    expect(r.ignored.map((i) => [i.ballot.agentId, i.why])).toEqual([
      ["intruder", "ineligible"],
      ["intruder2", "ineligible"],
    ]);
  });

  it("keeps a voter's lowest-ordered ballot, whatever order they arrive in", () => {
    const late = ballot("a0", "B", 0.5, 9);
    const early = ballot("a0", "A", 0.5, 3);
    for (const arrived of [
      [late, early],
      [early, late],
    ]) {
      const r = tally({ voters: votersOf(1), ballots: arrived });
      expect(r.winner).toBe("A");
      expect(r.ignored).toEqual([{ ballot: late, why: "duplicate" }]);
    }
  });

  it("settles two ballots of one voter with the same order by content, not arrival", () => {
    const a = ballot("a0", "A", 0.5, 1);
    const b = ballot("a0", "B", 0.5, 1);
    expect(tally({ voters: votersOf(1), ballots: [b, a] }).winner).toBe("A");
    expect(tally({ voters: votersOf(1), ballots: [a, b] }).winner).toBe("A");
  });

  it("an earlier abstention stands over a later vote", () => {
    const r = tally({
      voters: votersOf(1),
      ballots: [ballot("a0", "A", 0.5, 2), ballot("a0", null, 0.5, 1)],
    });
    expect(r).toMatchObject({ code: "no_quorum", turnout: { voted: 0, abstained: 1 } });
  });

  it("takes the first seat of a voter listed twice", () => {
    const voters = [
      { agentId: "x", seat: 5 },
      { agentId: "y", seat: 1 },
      { agentId: "x", seat: 0 },
    ];
    const r = tally({ voters, ballots: [ballot("x", "X"), ballot("y", "Y")] });
    expect(r.turnout.eligible).toBe(2);
    expect(r.leader).toBe("Y");
  });

  it("knows when everyone has voted, abstentions included", () => {
    expect(allVoted(ballots("A", null), votersOf(2))).toBe(true);
    expect(allVoted(ballots("A"), votersOf(2))).toBe(false);
    expect(allVoted([], [])).toBe(true);
  });
});

describe("tally: configuration", () => {
  it.each([
    [{ kind: "supermajority", threshold: 0.5 }, undefined, "rule.threshold"],
    [{ kind: "supermajority", threshold: 1.01 }, undefined, "rule.threshold"],
    [{ kind: "supermajority", threshold: Number.NaN }, undefined, "rule.threshold"],
    [majority, share(1.5), "quorum.min"],
    [majority, share(-0.1), "quorum.min"],
    [majority, count(-1), "quorum.min"],
    [majority, count(1.5), "quorum.min"],
  ] as const)("rejects %j with quorum %j, naming %s", (rule, quorum, path) => {
    const run = () => tally({ ballots: [], voters: votersOf(1), rule, ...(quorum && { quorum }) });
    expect(run).toThrow(AppError);
    expect(run).toThrow(
      expect.objectContaining({ code: "validation", fields: [expect.objectContaining({ path })] }),
    );
  });
});

// Small pools, so ties, duplicates, ineligible voters and equal orders happen often.
const CHOICES = ["A", "B", "C", null] as const;
const arbBallot = fc.record({
  agentId: fc.integer({ min: 0, max: 6 }).map((i) => `a${i}`),
  choice: fc.constantFrom(...CHOICES),
  confidence: fc.oneof(fc.constantFrom(0, 0.25, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true })),
  rationale: fc.constantFrom("", "because", "why not"),
  order: fc.integer({ min: 0, max: 12 }),
});
const arbVoters = fc
  .oneof({ arbitrary: fc.integer({ min: 1, max: 6 }), weight: 9 }, { arbitrary: fc.constant(0), weight: 1 })
  .map(votersOf);
const arbThreshold = fc.double({ min: 0.5, max: 1, minExcluded: true, noNaN: true });
const arbRule: fc.Arbitrary<VoteRule> = fc.oneof(
  fc.constant(majority),
  fc.constant(unanimous),
  arbThreshold.map((threshold) => ({ kind: "supermajority" as const, threshold })),
);
const arbQuorum: fc.Arbitrary<Quorum> = fc.oneof(
  fc.integer({ min: 0, max: 3 }).map(count),
  fc.oneof(fc.constantFrom(0, 0.5, 1), fc.double({ min: 0, max: 0.6, noNaN: true })).map(share),
);
const arbVote = fc.record({
  ballots: fc.array(arbBallot, { maxLength: 14, size: "max" }),
  voters: arbVoters,
  rule: arbRule,
  quorum: arbQuorum,
});

describe("tally: properties", () => {
  it("permuting the ballots never changes the result", () => {
    fc.assert(
      fc.property(
        arbVote.chain((v) =>
          fc.tuple(
            fc.constant(v),
            fc.shuffledSubarray(v.ballots, { minLength: v.ballots.length, maxLength: v.ballots.length }),
          ),
        ),
        ([vote, shuffled]) => {
          expect(tally({ ...vote, ballots: shuffled })).toEqual(tally(vote));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("an abstention from a voter who sent nothing changes nothing but the turnout split", () => {
    fc.assert(
      fc.property(arbVote, fc.nat(), (vote, pick) => {
        const before = tally(vote);
        const absent = before.turnout.missing[pick % Math.max(1, before.turnout.missing.length)];
        fc.pre(absent !== undefined);
        const after = tally({ ...vote, ballots: [...vote.ballots, ballot(absent ?? "", null, 0.5, pick)] });
        const { turnout: t1, reason: _r1, ...rest1 } = before;
        const { turnout: t2, reason: _r2, ...rest2 } = after;
        expect(rest2).toEqual(rest1);
        expect([t2.voted, t2.abstained, t2.missing.length]).toEqual([
          t1.voted,
          t1.abstained + 1,
          t1.missing.length - 1,
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it("under a count quorum, a newly eligible voter who abstains never changes the winner", () => {
    fc.assert(
      fc.property(arbVote, fc.integer({ min: 0, max: 3 }), (vote, min) => {
        const quorum = count(min);
        const before = tally({ ...vote, quorum });
        const voters = [...vote.voters, { agentId: "newcomer", seat: 99 }];
        const after = tally({
          ...vote,
          quorum,
          voters,
          ballots: [...vote.ballots, ballot("newcomer", null)],
        });
        expect([after.consensus, after.code, after.winner]).toEqual([
          before.consensus,
          before.code,
          before.winner,
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it("a winner has strictly the most votes and the share it reports", () => {
    fc.assert(
      fc.property(arbVote, (vote) => {
        const r = tally(vote);
        if (r.consensus === "failed") return;
        const [top, ...rest] = r.choices;
        expect(top?.choice).toBe(r.winner);
        for (const other of rest) expect(other.count).toBeLessThan(top?.count ?? 0);
        expect(r.confidence).toBe((top?.count ?? 0) / r.turnout.voted);
        expect(r.confidence).toBeGreaterThan(0.5);
        expect(r.quorum.met).toBe(true);
        expect(r.tieBreak).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it("unanimous ⇒ supermajority at any threshold ⇒ majority, with one winner; a higher threshold is harder", () => {
    fc.assert(
      fc.property(arbVote, arbThreshold, arbThreshold, (vote, t1, t2) => {
        const [low, high] = t1 <= t2 ? [t1, t2] : [t2, t1];
        const at = (rule: VoteRule) => tally({ ...vote, rule });
        const u = at(unanimous);
        const sHigh = at({ kind: "supermajority", threshold: high });
        const sLow = at({ kind: "supermajority", threshold: low });
        const m = at(majority);
        const implies = (a: TallyResult, b: TallyResult) => {
          if (a.consensus === "reached") expect(b.winner).toBe(a.winner);
        };
        implies(u, sHigh);
        implies(sHigh, sLow);
        implies(sLow, m);
        // Just above one half, a supermajority is a majority: no share of a few votes lies in between.
        expect(at({ kind: "supermajority", threshold: 0.5 + 1e-9 }).winner).toBe(m.winner);
        // A majority that also clears the threshold is a supermajority.
        if (m.consensus === "reached" && m.confidence >= low) expect(sLow.winner).toBe(m.winner);
      }),
      { numRuns: 500 },
    );
  });

  it("accounts for every ballot and every eligible voter", () => {
    fc.assert(
      fc.property(arbVote, (vote) => {
        const r = tally(vote);
        const { eligible, voted, abstained, missing } = r.turnout;
        expect(voted + abstained + missing.length).toBe(eligible);
        expect(voted + abstained + r.ignored.length).toBe(vote.ballots.length);
        expect(r.choices.reduce((n, c) => n + c.count, 0)).toBe(voted);
        if (r.tieBreak) expect(r.consensus).toBe("failed");
      }),
      { numRuns: 500 },
    );
  });
});
