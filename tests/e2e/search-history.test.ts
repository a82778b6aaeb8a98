import { type Frame, startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let sql: postgres.Sql;

beforeAll(async () => {
  sys = await startSystem();
  sql = postgres(sys.db.url, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
});

/** Posts a message and answers the group's events up to the end of its turn. */
async function runTurn(groupId: string, content: string): Promise<Frame[]> {
  const client = await sys.openStream();
  await client.subscribe(groupId, 0);
  const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content });
  expect(posted.status).toBe(202);
  const turnId = String(posted.body.turnId);
  await client.waitFor(
    "the turn end",
    (f) =>
      f.event?.turnId === turnId && (f.event.type === "turn.completed" || f.event.type === "turn.failed"),
    30_000,
  );
  await client.close();
  return client.events(groupId).filter((f) => f.event?.turnId === turnId);
}

interface Hit {
  seq: number;
  at: string;
  author: { kind: string; name: string | null };
  snippet: string;
  rank: number;
}

describe("an agent's search_history tool", () => {
  it("finds an earlier message of its group; an agent not allowed the tool is refused", async () => {
    const created = await sys.post("/v1/groups", {
      name: "memory",
      agents: [
        { name: "Archivist", scripted: { replies: ["Noted."] } },
        { name: "Bystander", scripted: { replies: ["Noted too."] } },
      ],
    });
    expect(created.status).toBe(201);
    const group = created.body as { id: string; agents: { id: string; name: string }[] };
    const [archivist, bystander] = group.agents;
    // Another group holds the same words: it must never be found from this one.
    const other = (
      await sys.post("/v1/groups", {
        name: "elsewhere",
        agents: [{ name: "Keeper", scripted: { replies: ["Kept."] } }],
      })
    ).body as { id: string };
    expect(
      (await sys.post(`/v1/groups/${other.id}/messages`, { content: "The Falcon launch code is 0000." }))
        .status,
    ).toBe(202);

    await waitUntil(
      "the other group's message recorded",
      async () => (await sql`select 1 from messages where group_id = ${other.id}`).at(0),
      20_000,
    );

    const first = await runTurn(group.id, "Remember this: the Falcon launch code is 7319.");
    expect(first.at(-1)?.event?.type).toBe("turn.completed");
    const told = first.find((f) => f.event?.type === "message.posted");
    const toldSeq = told?.seq ?? 0;
    expect(toldSeq).toBeGreaterThan(0);
    // The search reads what the recorder projected: the message and both answers, marked as replies.
    await waitUntil(
      "the first turn recorded",
      async () => {
        const rows =
          await sql`select purpose from messages where group_id = ${group.id} and type = 'agent.replied'`;
        return rows.length === 2 ? rows : undefined;
      },
      20_000,
    );
    expect(
      (await sql`select purpose from messages where group_id = ${group.id} and type = 'agent.replied'`).map(
        (r) => r.purpose,
      ),
    ).toEqual(["reply", "reply"]);

    const search = { name: "search_history", args: { query: "Falcon launch code" } };
    for (const [agent, tools, reply] of [
      [archivist, ["search_history"], "The code is 7319."],
      // Allowed another tool, so tools are offered and the script asks anyway: the call is refused.
      [bystander, ["calculator"], "I cannot look."],
    ] as const) {
      const patched = await sys.request("PATCH", `/v1/agents/${agent?.id}`, {
        body: { tools, scripted: { toolCalls: [search], replies: [reply] } },
      });
      expect(patched.status).toBe(200);
    }

    const second = await runTurn(group.id, "What was the launch code again?");
    expect(second.at(-1)?.event?.type).toBe("turn.completed");
    const done = second.filter((f) => f.event?.type === "tool.completed").map((f) => f.event?.payload);
    expect(done).toHaveLength(2);

    const found = done.find((p) => p?.agentId === archivist?.id);
    expect(found).toMatchObject({ name: "search_history", ok: true });
    const result = found?.result as { hits: Hit[]; total: number };
    expect(result.hits[0]).toMatchObject({ seq: toldSeq, author: { kind: "user" } });
    expect(result.hits[0]?.snippet).toContain("«Falcon» «launch» «code» is 7319");
    expect(result.total).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(result)).not.toContain("0000");

    const refused = done.find((p) => p?.agentId === bystander?.id);
    expect(refused).toMatchObject({ name: "search_history", ok: false, error: { code: "forbidden" } });
    expect(refused).not.toHaveProperty("result");
  });

  it("never finds ballots: a word only a vote's rationale holds is not there to find", async () => {
    const votes = [{ choice: "Ada", confidence: 0.9, rationale: "the Osprey budget settles it" }];
    const created = await sys.post("/v1/groups", {
      name: "vote",
      strategy: "debate_vote",
      settings: { turnLimits: { maxRounds: 1 } },
      agents: ["Ada", "Bob", "Cy"].map((name) => ({
        name,
        scripted: { replies: [`${name} answers`], votes },
      })),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const group = created.body as { id: string; agents: { id: string }[] };
    const voted = await runTurn(group.id, "Which plan do we take?");
    expect(voted.filter((f) => f.event?.type === "vote.cast")).toHaveLength(3);
    // The ballots are in the history, marked as ballots.
    const ballots = await waitUntil(
      "the ballots recorded",
      async () => {
        const rows =
          await sql`select content from messages where group_id = ${group.id} and purpose = 'ballot'`;
        return rows.length === 3 ? rows : undefined;
      },
      20_000,
    );
    expect(ballots.every((r) => String(r.content).includes("Osprey"))).toBe(true);

    const ada = group.agents[0]?.id;
    const patched = await sys.request("PATCH", `/v1/agents/${ada}`, {
      body: {
        tools: ["search_history"],
        scripted: {
          toolCalls: [{ name: "search_history", args: { query: "Osprey budget" } }],
          replies: ["-"],
          votes,
        },
      },
    });
    expect(patched.status).toBe(200);
    const searched = await runTurn(group.id, "Again: which plan?");
    const done = searched.filter((f) => f.event?.type === "tool.completed").map((f) => f.event?.payload);
    // Asked for an answer twice in the turn (opening, then debate), Ada searched twice: the same call
    // in a later ask runs again instead of being taken for the first.
    expect(done).toHaveLength(2);
    expect(new Set(done.map((p) => p?.key)).size).toBe(2);
    expect(searched.at(-1)?.event?.type).toBe("turn.completed");
    for (const p of done) expect(p).toMatchObject({ ok: true, result: { hits: [], total: 0 } });
  });
});
