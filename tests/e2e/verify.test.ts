import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type GroupSettings, openDb } from "@conclave/db";
import { type RecordedEvent, verifyGroup, verifyTurn } from "@conclave/orchestrator/verify";
import type { StrategyName } from "@conclave/subjects";
import { REPO_ROOT, startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Verify over turns the whole system recorded: each strategy's turn, read back from the timeline
// (the events table), re-driven with its recorded answers, decides what it decided then; and a
// changed seat order is reported.

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

interface Group {
  id: string;
  strategy: StrategyName;
  settings: GroupSettings;
  agents: { id: string; name: string }[];
}

async function group(strategy: StrategyName, agents: object[], settings: object = {}): Promise<Group> {
  const res = await sys.post("/v1/groups", { name: strategy, strategy, settings, agents });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as unknown as Group;
}

/** Runs a turn and answers its recorded events, as the timeline reads them. */
async function recordedTurn(g: Group, content: string): Promise<RecordedEvent[]> {
  const posted = await sys.post(`/v1/groups/${g.id}/messages`, { content });
  expect(posted.status).toBe(202);
  const turnId = posted.body.turnId as string;
  let steps: RecordedEvent[] = [];
  await waitUntil(
    "the turn to be recorded",
    async () => {
      const res = await sys.get(`/v1/groups/${g.id}/turns/${turnId}/timeline`);
      steps = res.status === 200 ? (res.body.steps as RecordedEvent[]) : [];
      return steps.some((s) => s.event.type === "turn.completed" || s.event.type === "turn.failed");
    },
    60_000,
  );
  return steps.map(({ seq, event }) => ({ seq, event }));
}

async function settingsOf(g: Group): Promise<{ strategy: StrategyName; settings: GroupSettings }> {
  const res = await sys.get(`/v1/groups/${g.id}`);
  expect(res.status).toBe(200);
  return { strategy: res.body.strategy as StrategyName, settings: res.body.settings as GroupSettings };
}

const ballots = (choice: string) => [{ choice, confidence: 0.9, rationale: `for ${choice}` }];

describe("verify over recorded turns", () => {
  it("finds the decisions of every strategy's recorded turn unchanged", async () => {
    const groups: [Group, string][] = [
      [
        await group("round_robin", [{ name: "Ada" }, { name: "Bob" }], { turnLimits: { maxRounds: 2 } }),
        "go",
      ],
      [await group("broadcast", [{ name: "Ada" }, { name: "Bob", scripted: { failWith: "down" } }]), "all"],
      [
        await group("mentions", [{ name: "Ada", scripted: { replies: ["ask @Bob"] } }, { name: "Bob" }]),
        "@Ada?",
      ],
      [
        await group(
          "debate_vote",
          [
            { name: "Ada", scripted: { replies: ["A0", "A1"], votes: ballots("Bob") } },
            { name: "Bob", scripted: { replies: ["B0", "B1"], votes: ballots("Bob") } },
            { name: "Cy", scripted: { replies: ["C0", "C1"], votes: ballots("Ada") } },
          ],
          { turnLimits: { maxRounds: 1 } },
        ),
        "which?",
      ],
    ];
    const sel = await group("selector", [
      { name: "Sel", scripted: { replies: ["Ada: she knows", "Ada", "Bob", "TASK_COMPLETE"] } },
      { name: "Ada" },
      { name: "Bob" },
    ]);
    const selId = sel.agents.find((a) => a.name === "Sel")?.id;
    const patched = await sys.request("PATCH", `/v1/groups/${sel.id}`, {
      body: { settings: { selectorAgentId: selId, turnLimits: { maxConsecutive: 1 } } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    groups.push([sel, "solve it"]);
    for (const [g, content] of groups) {
      const events = await recordedTurn(g, content);
      const { strategy, settings } = await settingsOf(g);
      const result = await verifyTurn({ events, strategy, settings });
      expect(result.divergences, strategy).toEqual([]);
      expect(result.decisions, strategy).toBeGreaterThan(0);
      if (strategy === "debate_vote") expect(events.map((e) => e.event.type)).toContain("vote.closed");
      if (strategy === "selector") expect(events.map((e) => e.event.type)).toContain("guard.triggered");
    }
  });

  it("reports the divergence when the seat order is changed, and verifies a long group", async () => {
    const g = await group("round_robin", [{ name: "Ada" }, { name: "Bob" }, { name: "Cy" }]);
    const turns: RecordedEvent[][] = [];
    for (let i = 0; i < 20; i++) turns.push(await recordedTurn(g, `question ${i}`));
    const { strategy, settings } = await settingsOf(g);
    const first = turns[0] ?? [];
    const seated = first.find((e) => e.event.type === "turn.started")?.event.payload as {
      agentIds: string[];
    };
    const names = new Map(g.agents.map((a) => [a.id, a.name]));
    const reversed = [...seated.agentIds].reverse().map((id) => ({
      id,
      name: names.get(id) ?? id,
      provider: "scripted" as const,
      model: "recorded",
      systemPrompt: "",
      allowedTools: [],
      scripted: {},
    }));
    const changed = await verifyTurn({ events: first, strategy, settings, agents: reversed });
    expect(changed.ok).toBe(false);
    expect(changed.divergences.map((d) => `${d.kind} ${d.type}`)).toContain("missing speaker.selected");

    const db = await openDb({ url: sys.db.url, poolSize: 1 });
    try {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const verdicts = await verifyGroup({ db: db.db, groupId: g.id });
      const cpu = process.cpuUsage(cpu0);
      const s = (performance.now() - t0) / 1000;
      expect(verdicts.map((v) => v.divergences)).toEqual(turns.map(() => []));
      const events = verdicts.reduce((n, v) => n + v.events, 0);
      expect(events).toBe(turns.flat().length);
      // A figure for the report, not an assertion.
      process.stderr.write(
        `verify: ${events} events in ${verdicts.length} turns, ${(events / s).toFixed(0)} events/s, ${((cpu.user + cpu.system) / 1000 / events).toFixed(3)} cpu ms/event\n`,
      );
    } finally {
      await db.close();
    }
    // The command: every turn ok, exit 0.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "apps/cli/src/main.ts",
        "replay",
        "--verify",
        g.id,
        "--turn",
        first[0]?.event.turnId ?? "",
      ],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", DATABASE_URL: sys.db.url } },
    );
    expect(stdout).toMatch(/^ok {3}turn /);
  });
});
