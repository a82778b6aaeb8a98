import { type Frame, startSystem, type TestSystem } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Three orchestrator replicas share the group's events. One is killed with SIGKILL in the middle of
// a debate: its unacknowledged events come back to the others (a short ack wait), which resume the
// turn's graph from the checkpoint the group state pins. The turn must end once, with the outcome
// of the same debate run without a kill.

let sys: TestSystem;
let sql: postgres.Sql;

beforeAll(async () => {
  sys = await startSystem({ orchestrators: 3, executors: 2, env: { NATS_ACK_WAIT_MS: "1500" } });
  sql = postgres(sys.db.url, { max: 2 });
});
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
});

const vote = (choice: string, confidence: number) => [
  { choice, confidence, rationale: `${choice} argued best` },
];
const debaters = [
  { name: "Ada", scripted: { delayMs: 150, replies: ["A0", "A1", "A2"], votes: vote("Bob", 0.9) } },
  { name: "Bob", scripted: { delayMs: 150, replies: ["B0", "B1", "B2"], votes: vote("Bob", 0.7) } },
  { name: "Cy", scripted: { delayMs: 150, replies: ["C0", "C1", "C2"], votes: vote("Ada", 0.8) } },
];

let killed: ReturnType<TestSystem["app"]> | undefined;

async function debate(kill: boolean) {
  const created = await sys.post("/v1/groups", {
    name: kill ? "debate with a kill" : "debate",
    strategy: "debate_vote",
    agents: debaters,
    settings: { turnLimits: { maxRounds: 2 } },
  });
  const groupId = (created.body as { id: string }).id;
  const client = await sys.openStream();
  await client.subscribe(groupId, 0);
  const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "which plan?" });
  const { turnId } = posted.body as { turnId: string };
  if (kill) {
    // Mid-debate: the opening answers are in and the first debate round is under way.
    await client.waitFor(
      "the debate to be under way",
      () => client.events(groupId).filter((f) => f.event?.type === "agent.replied").length >= 4,
      30_000,
    );
    // The replica that started the turn is the one killed: another one has to finish it.
    const orchestrators = [0, 1, 2].map((i) => sys.app("orchestrator", i));
    const starter = orchestrators.find((o) =>
      o.lines.some((l) => l.includes(`"turnId":"${turnId}"`) && l.includes("turn.started")),
    );
    expect(starter, "a replica logged that it started the turn").toBeDefined();
    starter?.kill("SIGKILL");
    killed = starter;
  }
  await client.waitFor(
    "the turn's end",
    (f) => f.event?.turnId === turnId && /^turn\.(completed|failed)$/.test(f.event.type),
    60_000,
  );
  // Give redeliveries time to show up if the turn were to be finished twice.
  await new Promise((r) => setTimeout(r, 3000));
  const frames = client.events(groupId);
  await client.close();
  return { groupId, turnId, frames };
}

const payloads = (frames: Frame[], type: string) =>
  frames.filter((f) => f.event?.type === type).map((f) => f.event?.payload ?? {});

/** What a debate decided, without ids, times and the order of parallel answers. */
function outcome(frames: Frame[]) {
  const closed = payloads(frames, "vote.closed")[0] ?? {};
  // Agent ids differ between the two groups: compare voters by name.
  const voters = (payloads(frames, "vote.opened")[0]?.voters ?? []) as {
    agentId: string;
    agentName: string;
  }[];
  const nameOf = (id: string) => voters.find((v) => v.agentId === id)?.agentName ?? id;
  const choices = ((closed.choices ?? []) as { voters: string[] }[]).map((c) => ({
    ...c,
    voters: c.voters.map(nameOf),
  }));
  return {
    ends: frames
      .filter((f) => /^turn\.(completed|failed)$/.test(f.event?.type ?? ""))
      .map((f) => f.event?.type),
    replies: payloads(frames, "agent.replied")
      .map((p) => p.content)
      .sort(),
    casts: payloads(frames, "vote.cast")
      .map((p) => `${p.agentName}->${p.choice}@${p.confidence}`)
      .sort(),
    closed: {
      winner: closed.winner,
      reason: closed.reason,
      choices,
      tieBreak: closed.tieBreak,
    },
    consensus: payloads(frames, "consensus.reached").map((p) => [p.choice, p.confidence, p.answer]),
    failed: payloads(frames, "consensus.failed"),
  };
}

describe("an orchestrator replica killed mid-debate", () => {
  it("finishes the turn once, with the same outcome as without the kill", async () => {
    const calm = await debate(false);
    const killedRun = await debate(true);
    expect(killed?.running).toBe(false);
    const finisher = [0, 1, 2]
      .map((i) => sys.app("orchestrator", i))
      .find((o) =>
        o.lines.some((l) => l.includes(`"turnId":"${killedRun.turnId}"`) && l.includes("turn.completed")),
      );
    expect(finisher, "a surviving replica finished the turn").toBeDefined();
    expect(finisher).not.toBe(killed);

    const expected = outcome(calm.frames);
    expect(expected.ends).toEqual(["turn.completed"]);
    expect(expected.consensus).toEqual([["Bob", 2 / 3, "B2"]]);
    expect(outcome(killedRun.frames)).toEqual(expected);

    // No event twice on the stream, and none twice in PostgreSQL.
    const ids = killedRun.frames.map((f) => f.event?.id);
    expect(new Set(ids).size).toBe(ids.length);
    const rows = await sql<{ type: string; n: number }[]>`
      select type, count(*)::int as n from events where turn_id = ${killedRun.turnId} group by type order by type`;
    const stored = Object.fromEntries(rows.map((r) => [r.type, r.n]));
    expect(stored).toMatchObject({
      "agent.replied": 12,
      "vote.opened": 1,
      "vote.cast": 3,
      "vote.closed": 1,
      "consensus.reached": 1,
      "turn.started": 1,
      "turn.completed": 1,
    });
    expect(stored["turn.failed"]).toBeUndefined();
  });
});
