import { jetstream, jetstreamManager } from "@conclave/bus";
import { CONSUMERS } from "@conclave/subjects";
import { captureLlmWork, startSystem, type TestSystem, type TestUser, waitUntil } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let sql: postgres.Sql;

beforeAll(async () => {
  // Three executors share the work; prices are read on every call, so a price set now applies now.
  // Each executor reuses "no budget covers this" for a minute: only the notice a budget change
  // sends can end it in time, so every test here runs on that path.
  // The tests poll a dozen turns at once as one user: the default per-user limit would answer 429.
  sys = await startSystem({
    executors: 3,
    env: { RATE_LIMIT_PER_MINUTE: "100000", RATE_LIMIT_BURST: "10000" },
    envFor: { executor: { PRICES_CACHE_MS: "0", BUDGET_UNCOVERED_CACHE_MS: "60000" } },
    readyTimeoutMs: 180_000,
  });
  sql = postgres(sys.db.url, { max: 2 });
}, 400_000);
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
});

const month = () => new Date().toISOString().slice(0, 7);

async function groupOf(user: TestUser, agents: object[], name = "usage") {
  const res = await sys.post("/v1/groups", { name, agents }, user.accessToken);
  expect(res.status).toBe(201);
  return (res.body as { id: string }).id;
}

async function turnEnd(user: TestUser, groupId: string, turnId: string) {
  let body: Record<string, unknown> = {};
  await waitUntil(
    "the turn to end",
    async () => {
      body = (await sys.get(`/v1/groups/${groupId}/turns/${turnId}`, user.accessToken)).body;
      return body.status === "completed" || body.status === "failed";
    },
    60_000,
  );
  return body;
}

/** Waits until the executors have acked every work item up to `seq` of the work stream. */
async function workDone(seq: number) {
  const jsm = await jetstreamManager(sys.bus.nc);
  await waitUntil("the executors to take every work item", async () => {
    const info = await jsm.consumers.info(sys.bus.names.stream("work"), CONSUMERS.executorLlm);
    return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0;
  });
}

describe("usage ledger", () => {
  it("keeps one priced row per call whatever the redeliveries, and its rollups add up to its rows", async () => {
    const user = await sys.register();
    // Effective dates: the row in effect at the call's start prices it, not a later or an earlier one.
    await sql`insert into prices (id, provider, model, effective_from, input_per_mtok, output_per_mtok, cached_per_mtok)
      values (gen_random_uuid(), 'scripted', 'priced-1', now() - interval '2 days', 1, 1, 1),
             (gen_random_uuid(), 'scripted', 'priced-1', now() - interval '1 day', 2000, 4000, 500),
             (gen_random_uuid(), 'scripted', 'priced-1', now() + interval '1 day', 9, 9, 9)`;
    const groupId = await groupOf(user, [
      { name: "Ada", model: "priced-1", scripted: { replies: ["one two three four"] } },
      { name: "Grace", scripted: { replies: ["five six"] } },
    ]);
    const work = captureLlmWork(sys.bus);
    const posted = await sys.post(
      `/v1/groups/${groupId}/messages`,
      { content: "what does it cost?" },
      user.accessToken,
    );
    const { turnId } = posted.body as { turnId: string };
    expect((await turnEnd(user, groupId, turnId)).status).toBe("completed");
    await waitUntil("both items seen", () => work.items.filter((w) => w.groupId === groupId).length === 2);
    work.stop();

    // Each item delivered again, twice, past JetStream's duplicate window (another Nats-Msg-Id).
    const js = jetstream(sys.bus.nc);
    let last = 0;
    for (const item of work.items.filter((w) => w.groupId === groupId))
      for (const copy of ["again-1", "again-2"])
        last = (
          await js.publish(sys.bus.names.workSubject("llm"), JSON.stringify(item), {
            msgID: `${item.id}-${copy}`,
          })
        ).seq;
    await workDone(last);

    const rows = await sql<
      {
        agent_name: string;
        model: string;
        input_tokens: number;
        output_tokens: number;
        cost: string;
        price_id: string | null;
      }[]
    >`select agent_name, model, input_tokens, output_tokens, cost::text, price_id from llm_calls where group_id = ${groupId} order by agent_name`;
    expect(rows.map((r) => r.agent_name)).toEqual(["Ada", "Grace"]);
    const [ada, grace] = rows;
    if (!ada || !grace) throw new Error("two calls expected");
    expect(ada.output_tokens).toBeGreaterThan(0);
    expect(Number(ada.cost)).toBeCloseTo((ada.input_tokens * 2000 + ada.output_tokens * 4000) / 1e6, 8);
    expect(ada.price_id).not.toBeNull();
    // A scripted model without a row of its own: the seeded `scripted *` price, zero.
    expect(Number(grace.cost)).toBe(0);

    const ledger = await sql<{ input: number; output: number; cost: string; calls: number }[]>`
      select sum(input_tokens)::int as input, sum(output_tokens)::int as output, sum(cost)::text as cost,
             count(*)::int as calls from llm_calls where account_id = ${user.accountId}`;
    for (const groupBy of ["day", "group", "agent", "model"]) {
      const usage = await sys.get(`/v1/usage?groupBy=${groupBy}`, user.accessToken);
      expect(usage.status, groupBy).toBe(200);
      const body = usage.body as {
        rows: { key: string; calls: number; inputTokens: number; outputTokens: number; cost: number }[];
        total: { calls: number; inputTokens: number; outputTokens: number; cost: number };
      };
      const sum = (f: (r: (typeof body.rows)[0]) => number) => body.rows.reduce((n, r) => n + f(r), 0);
      expect(body.total).toMatchObject({
        calls: ledger[0]?.calls,
        inputTokens: ledger[0]?.input,
        outputTokens: ledger[0]?.output,
      });
      expect(body.total.cost).toBeCloseTo(Number(ledger[0]?.cost), 8);
      expect(
        sum((r) => r.calls),
        groupBy,
      ).toBe(body.total.calls);
      expect(
        sum((r) => r.inputTokens),
        groupBy,
      ).toBe(body.total.inputTokens);
      expect(
        sum((r) => r.outputTokens),
        groupBy,
      ).toBe(body.total.outputTokens);
      expect(sum((r) => r.cost)).toBeCloseTo(body.total.cost, 8);
      if (groupBy === "agent") expect(body.rows).toHaveLength(2);
      if (groupBy === "model")
        expect(body.rows.map((r) => r.key)).toEqual(["scripted/priced-1", "scripted/scripted"]);
    }

    const statement = await sys.get(`/v1/usage/statements/${month()}`, user.accessToken);
    expect(statement.status).toBe(200);
    const s = statement.body as {
      lines: { agentName: string; calls: number; cost: number }[];
      total: { calls: number; cost: number };
    };
    expect(s.lines.map((l) => [l.agentName, l.calls])).toEqual(
      expect.arrayContaining([
        ["Ada", 1],
        ["Grace", 1],
      ]),
    );
    expect(s.total.calls).toBe(2);
    expect(s.total.cost).toBeCloseTo(Number(ada.cost), 8);
    const csv = await fetch(`${sys.edgeUrl}/v1/usage/statements/${month()}`, {
      headers: { authorization: `Bearer ${user.accessToken}`, accept: "text/csv" },
    });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "month,group_id,agent_id,agent_name,provider,model,calls,input_tokens,output_tokens,cached_tokens,cost,currency",
    );
    expect(lines).toHaveLength(4);
    expect(lines[3]).toContain(`${month()},total,`);
    const bad = await sys.get("/v1/usage/statements/2026-13", user.accessToken);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("path.month");
  }, 120_000);
});

describe("budgets that hold", () => {
  it("refuses the calls that would cross the cap across three executors, charging each admitted call once", async () => {
    const user = await sys.register();
    const agent = { name: "Ada", maxTokens: 40, scripted: { replies: ["within budget, I hope"] } };
    const put = (body: object) => sys.request("PUT", "/v1/budgets", { token: user.accessToken, body });
    const budget = { scope: "account", unit: "tokens", period: "day", warnAt: 0.05 };
    const first = await put({ ...budget, cap: 1_000_000 });
    expect(first.status).toBe(201);
    const budgetId = (first.body as { id: string }).id;

    // One call measures what a call reserves: its prompt and its 40 tokens of output.
    const probe = await groupOf(user, [agent]);
    const p = await sys.post(`/v1/groups/${probe}/messages`, { content: "how much?" }, user.accessToken);
    expect((await turnEnd(user, probe, (p.body as { turnId: string }).turnId)).status).toBe("completed");
    const [r] = await sql<
      { amount: string }[]
    >`select amount::text from budget_reservations where budget_id = ${budgetId}`;
    const reservation = Number(r?.amount);
    expect(reservation).toBeGreaterThan(40);
    const [p0] = await sql<
      { spent: string }[]
    >`select spent::text from budget_periods where budget_id = ${budgetId}`;
    const spent0 = Number(p0?.spent);

    // The probe's use is what one such call uses (`used`, well under its reservation). The cap leaves
    // room for one reservation and three calls' use: however the twelve concurrent calls interleave,
    // at least one and at most four fit, and the rest must be refused.
    const used = spent0;
    expect(used).toBeLessThan(reservation);
    const cap = spent0 + reservation + 3 * used;
    expect((await put({ ...budget, cap })).status).toBe(200);
    const groups = await Promise.all(Array.from({ length: 12 }, (_, i) => groupOf(user, [agent], `g${i}`)));
    const turns = await Promise.all(
      groups.map(async (groupId) => {
        const res = await sys.post(
          `/v1/groups/${groupId}/messages`,
          { content: "how much?" },
          user.accessToken,
        );
        expect(res.status).toBe(202);
        return { groupId, turnId: (res.body as { turnId: string }).turnId };
      }),
    );
    const ends = await Promise.all(turns.map((t) => turnEnd(user, t.groupId, t.turnId)));
    const completed = ends.filter((e) => e.status === "completed");
    const failed = ends.filter((e) => e.status === "failed");
    expect(completed.length).toBeGreaterThanOrEqual(1);
    expect(completed.length).toBeLessThanOrEqual(4);
    expect(failed.length).toBe(12 - completed.length);
    // The turn's recorded reason is its `turn.failed` reason and detail.
    expect(failed.map((e) => e.reason)).toEqual(
      failed.map(() =>
        expect.stringMatching(/^budget: Ada: the account's day tokens budget of \d+ would be exceeded$/),
      ),
    );

    // Each refused turn has its budget.exceeded, naming the budget; each admitted call one ledger row.
    await waitUntil("the events to be recorded", async () => {
      const [n] = await sql<
        { n: number }[]
      >`select count(*)::int as n from events where type = 'budget.exceeded'
        and group_id = any(${groups}::uuid[])`;
      return n?.n === failed.length;
    });
    const exceeded = await sql<{ payload: { budgetId: string; cap: number; requested: number } }[]>`
      select payload from events where type = 'budget.exceeded' and group_id = any(${groups}::uuid[])`;
    expect(exceeded.every((e) => e.payload.budgetId === budgetId && e.payload.cap === cap)).toBe(true);
    const failedTurns = await sql<{ reason: string; n: number }[]>`
      select payload->>'reason' as reason, count(*)::int as n from events
      where group_id = any(${groups}::uuid[]) and type = 'turn.failed' group by 1`;
    expect(failedTurns).toEqual([{ reason: "budget", n: failed.length }]);

    const [period] = await sql<{ spent: string; reserved: string }[]>`
      select spent::text, reserved::text from budget_periods where budget_id = ${budgetId}`;
    const spent = Number(period?.spent);
    // Nothing is held once every call settled, and the total stays within the cap plus one reservation.
    expect(Number(period?.reserved)).toBe(0);
    expect(spent).toBeLessThanOrEqual(cap + reservation);
    expect(spent).toBe(spent0 + completed.length * used);
    const [ledger] = await sql<{ tokens: number; calls: number }[]>`
      select coalesce(sum(input_tokens + output_tokens), 0)::int as tokens, count(*)::int as calls
      from llm_calls where account_id = ${user.accountId}`;
    // Charged once per call: what the budget spent is exactly the ledger's tokens.
    expect(spent).toBe(ledger?.tokens);
    expect(ledger?.calls).toBe(1 + completed.length);
    const [settled] = await sql<{ n: number }[]>`
      select count(*)::int as n from budget_reservations where budget_id = ${budgetId} and state = 'settled'`;
    expect(settled?.n).toBe(1 + completed.length);

    // One warning for the period, however many calls crossed the share after it.
    const warnings = await sql<
      { n: number }[]
    >`select count(*)::int as n from events where type = 'budget.warning'
      and payload->>'budgetId' = ${budgetId}`;
    expect(warnings[0]?.n).toBe(1);

    // The usage API shows the budget with its period.
    const usage = await sys.get("/v1/usage", user.accessToken);
    expect(usage.status, JSON.stringify(usage.body)).toBe(200);
    expect((usage.body as { budgets: unknown[] }).budgets).toEqual([
      expect.objectContaining({
        id: budgetId,
        cap,
        current: expect.objectContaining({ spent, reserved: 0, warned: true }),
      }),
    ]);

    // An admin's stats count the refused turns by their reason, and the refusals by event.
    const admin = await sys.register();
    await sql`update accounts set role = 'admin' where id = ${admin.accountId}`;
    const login = await sys.post("/v1/auth/login", { email: admin.email, password: admin.password }, null);
    const stats = await sys.get("/v1/admin/stats", (login.body as { accessToken: string }).accessToken);
    expect(stats.status).toBe(200);
    const body = stats.body as {
      total: { turns: number; failed: number; completed: number; successRate: number; durationP95Ms: number };
      byDay: { turns: number }[];
      errors: {
        turnsByReason: { reason: string; turns: number }[];
        events: { type: string; count: number }[];
      };
    };
    expect(body.errors.turnsByReason).toContainEqual({ reason: "budget", turns: failed.length });
    expect(body.errors.events).toContainEqual({ type: "budget.exceeded", count: failed.length });
    expect(body.total.successRate).toBeCloseTo(
      body.total.completed / (body.total.completed + body.total.failed),
      8,
    );
    expect(body.byDay.reduce((n, d) => n + d.turns, 0)).toBe(body.total.turns);
    expect(body.total.durationP95Ms).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it("applies a budget set through the API to the next calls, though the executors had found none covering the group", async () => {
    const user = await sys.register();
    const agent = { name: "Ada", maxTokens: 40, scripted: { replies: ["nobody counts this yet"] } };
    const groupId = await groupOf(user, [agent]);
    const turn = async () => {
      const res = await sys.post(`/v1/groups/${groupId}/messages`, { content: "go" }, user.accessToken);
      expect(res.status).toBe(202);
      return turnEnd(user, groupId, (res.body as { turnId: string }).turnId);
    };
    // Calls no budget covers: the executors that ran them remember that for a minute.
    for (let i = 0; i < 4; i++) expect((await turn()).status).toBe("completed");
    const put = await sys.request("PUT", "/v1/budgets", {
      token: user.accessToken,
      body: { scope: "group", scopeId: groupId, unit: "tokens", period: "day", cap: 1 },
    });
    expect(put.status).toBe(201);
    // Whichever executor takes them, the next calls see the new cap.
    for (let i = 0; i < 4; i++) {
      const ended = await turn();
      expect(ended.status).toBe("failed");
      expect(ended.reason).toMatch(/^budget: Ada: the group's day tokens budget of 1 would be exceeded$/);
    }
  });

  it("charges a call once when its executor dies after the call and before its ack", async () => {
    const user = await sys.register();
    const put = await sys.request("PUT", "/v1/budgets", {
      token: user.accessToken,
      body: { scope: "account", unit: "tokens", period: "month", cap: 1_000_000 },
    });
    const budgetId = (put.body as { id: string }).id;
    const groupId = await groupOf(user, [{ name: "Ada", scripted: { replies: ["once"] } }]);
    // One executor, which dies right after its first item's side effects, before the ack.
    await Promise.all([1, 2].map((i) => sys.app("executor", i).stop()));
    const victim = sys.app("executor", 0);
    await victim.stop();
    victim.restart({ FAULT_CRASH_BEFORE_ACK: "1" });
    await victim.waitForLog("executor started", 120_000);
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "once?" }, user.accessToken);
    const { turnId } = posted.body as { turnId: string };
    expect(await victim.waitForExit(60_000), "the executor killed itself").toBe(-1);
    victim.restart({ FAULT_CRASH_BEFORE_ACK: undefined });
    for (const i of [1, 2]) sys.app("executor", i).restart();
    await Promise.all([0, 1, 2].map((i) => sys.app("executor", i).waitForLog("executor started", 120_000)));
    expect((await turnEnd(user, groupId, turnId)).status).toBe("completed");

    // The item comes back after its ack wait and is run again: nothing more is recorded or charged.
    const jsm = await jetstreamManager(sys.bus.nc);
    await waitUntil(
      "the redelivered item to be acked",
      async () => {
        const info = await jsm.consumers.info(sys.bus.names.stream("work"), CONSUMERS.executorLlm);
        return info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered === 0;
      },
      120_000,
    );
    const [row] = await sql<{ n: number; tokens: number }[]>`
      select count(*)::int as n, sum(input_tokens + output_tokens)::int as tokens from llm_calls where group_id = ${groupId}`;
    expect(row?.n).toBe(1);
    const reservations = await sql<{ state: string; actual: string }[]>`
      select state, actual::text from budget_reservations where budget_id = ${budgetId}`;
    expect(reservations).toEqual([{ state: "settled", actual: expect.any(String) }]);
    const [period] = await sql<{ spent: string; reserved: string }[]>`
      select spent::text, reserved::text from budget_periods where budget_id = ${budgetId}`;
    expect(Number(period?.spent)).toBe(row?.tokens);
    expect(Number(period?.reserved)).toBe(0);
    const [replies] = await sql<{ n: number }[]>`
      select count(*)::int as n from events where group_id = ${groupId} and type = 'agent.replied'`;
    expect(replies?.n).toBe(1);
  }, 300_000);

  it("refuses bad budgets naming the fields, and changes nothing", async () => {
    const res = await sys.request("PUT", "/v1/budgets", {
      body: { scope: "group", unit: "tokens", period: "week", cap: 1.5 },
    });
    expect(res.status).toBe(400);
    const paths = ((res.body as { errors: { path: string }[] }).errors ?? []).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["body.period"]));
    const listed = await sys.get("/v1/budgets");
    expect((listed.body as { items: unknown[] }).items).toEqual([]);
  });
});
