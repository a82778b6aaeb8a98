import { budgetPeriods, budgetReservations, budgets, type DbHandle, eq, openDb } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import {
  type BothDatabases,
  createTestDatabase,
  openBothDatabases,
  type TestDatabase,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BudgetGate, createBudgetGate, periodStart } from "./budget-gate.js";

const AT = new Date("2026-12-07T10:00:00Z");
const TTL = { reservationTtlMs: 60_000, currency: "USD" };

async function addBudget(
  h: DbHandle,
  b: { scope: "account" | "group"; scopeId: string; unit: "tokens" | "money"; cap: number; warnAt?: number },
) {
  const id = newEventId();
  await h.db.insert(budgets).values({
    id,
    scope: b.scope,
    scopeId: b.scopeId,
    unit: b.unit,
    period: "day",
    cap: String(b.cap),
    warnAt: String(b.warnAt ?? 0.8),
  });
  return id;
}

async function periodOf(h: DbHandle, budgetId: string) {
  const [p] = await h.db.select().from(budgetPeriods).where(eq(budgetPeriods.budgetId, budgetId));
  return { spent: Number(p?.spent ?? 0), reserved: Number(p?.reserved ?? 0), warned: p?.warnedAt != null };
}

const tokens = (n: number) => async () => ({ tokens: n, cost: null });

describe("budget gate, on PGlite and PostgreSQL", () => {
  let both: BothDatabases;
  beforeAll(async () => {
    both = await openBothDatabases();
  });
  afterAll(async () => {
    await both?.close();
  });

  for (const kind of ["postgres", "pglite"] as const) {
    it(`${kind}: reserves once per work item, settles once, warns once, refuses past the cap`, async () => {
      const h = both.handles[kind];
      const gate = createBudgetGate(h.db, TTL);
      const accountId = newEventId();
      const groupId = newEventId();
      const budgetId = await addBudget(h, {
        scope: "account",
        scopeId: accountId,
        unit: "tokens",
        cap: 1000,
      });
      const call = { accountId, groupId, at: AT };

      const w1 = newEventId();
      expect(await gate.reserve({ ...call, workId: w1, most: tokens(600) })).toEqual({
        ok: true,
        budgets: 1,
      });
      // The redelivered item reuses its reservation.
      expect(await gate.reserve({ ...call, workId: w1, most: tokens(600) })).toEqual({
        ok: true,
        budgets: 1,
      });
      expect(await periodOf(h, budgetId)).toMatchObject({ spent: 0, reserved: 600 });

      // 600 held + 500 > 1000: refused, and nothing of it stays.
      const refused = await gate.reserve({ ...call, workId: newEventId(), most: tokens(500) });
      expect(refused).toMatchObject({
        ok: false,
        requested: 500,
        refused: { budgetId, cap: 1000, spent: 0, reserved: 600, periodStart: periodStart("day", AT) },
      });

      // Settled on its real use; a second settlement (a redelivery after it) changes nothing.
      const warned = await gate.settle({ workId: w1, used: { tokens: 850, cost: null } });
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ budgetId, spent: 850, warnAt: 0.8, unit: "tokens" });
      expect(await gate.settle({ workId: w1, used: { tokens: 850, cost: null } })).toEqual([]);
      expect(await periodOf(h, budgetId)).toEqual({ spent: 850, reserved: 0, warned: true });
      // A settled item delivered again holds nothing more.
      expect(await gate.reserve({ ...call, workId: w1, most: tokens(600) })).toMatchObject({ ok: true });
      expect(await periodOf(h, budgetId)).toMatchObject({ spent: 850, reserved: 0 });

      // 850 + 150 fits exactly; then anything more is refused. The warning is not repeated.
      const w2 = newEventId();
      expect(await gate.reserve({ ...call, workId: w2, most: tokens(150) })).toMatchObject({ ok: true });
      expect(await gate.settle({ workId: w2, used: { tokens: 100, cost: null } })).toEqual([]);
      expect(await gate.reserve({ ...call, workId: newEventId(), most: tokens(51) })).toMatchObject({
        ok: false,
      });
      expect(await periodOf(h, budgetId)).toEqual({ spent: 950, reserved: 0, warned: true });

      // Another account's calls in another group are not capped by it.
      expect(
        await gate.reserve({
          accountId: newEventId(),
          groupId: newEventId(),
          at: AT,
          workId: newEventId(),
          most: tokens(5000),
        }),
      ).toEqual({ ok: true, budgets: 0 });
    });

    it(`${kind}: a group budget and an account budget both hold; refusal by either reserves on neither`, async () => {
      const h = both.handles[kind];
      const gate = createBudgetGate(h.db, TTL);
      const accountId = newEventId();
      const groupId = newEventId();
      const account = await addBudget(h, {
        scope: "account",
        scopeId: accountId,
        unit: "tokens",
        cap: 10_000,
      });
      const group = await addBudget(h, { scope: "group", scopeId: groupId, unit: "money", cap: 0.01 });
      const priced = (tokens: number, cost: number) => async () => ({ tokens, cost });
      const call = { accountId, groupId, at: AT };
      expect(await gate.reserve({ ...call, workId: newEventId(), most: priced(100, 0.006) })).toEqual({
        ok: true,
        budgets: 2,
      });
      const refused = await gate.reserve({ ...call, workId: newEventId(), most: priced(100, 0.006) });
      expect(refused).toMatchObject({
        ok: false,
        refused: { budgetId: group, unit: "money", reserved: 0.006 },
      });
      expect(await periodOf(h, account)).toMatchObject({ reserved: 100 });
      expect(await periodOf(h, group)).toMatchObject({ reserved: 0.006 });
    });

    it(`${kind}: a reservation whose executor never came back expires and gives its amount back`, async () => {
      const h = both.handles[kind];
      const gate = createBudgetGate(h.db, { ...TTL, reservationTtlMs: 1000 });
      const accountId = newEventId();
      const budgetId = await addBudget(h, { scope: "account", scopeId: accountId, unit: "tokens", cap: 100 });
      const call = { accountId, groupId: newEventId(), at: AT };
      const lost = newEventId();
      expect(await gate.reserve({ ...call, workId: lost, most: tokens(100) })).toMatchObject({ ok: true });
      expect(await gate.reserve({ ...call, workId: newEventId(), most: tokens(1) })).toMatchObject({
        ok: false,
      });
      await h.db
        .update(budgetReservations)
        .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
        .where(eq(budgetReservations.workId, lost));
      const next = newEventId();
      expect(await gate.reserve({ ...call, workId: next, most: tokens(40) })).toMatchObject({ ok: true });
      expect(await periodOf(h, budgetId)).toMatchObject({ reserved: 40 });
      // The lost call settling late is still charged (once), with nothing more given back.
      await gate.settle({ workId: lost, used: { tokens: 30, cost: null } });
      await gate.settle({ workId: lost, used: { tokens: 30, cost: null } });
      expect(await periodOf(h, budgetId)).toMatchObject({ spent: 30, reserved: 40 });
    });

    it(`${kind}: reuses "no budget covers this" until forgotten or expired, never a covering answer`, async () => {
      const h = both.handles[kind];
      const gate = createBudgetGate(h.db, { ...TTL, uncoveredTtlMs: 60_000 });
      const accountId = newEventId();
      const groupId = newEventId();
      const call = { accountId, groupId, at: AT };
      expect(await gate.reserve({ ...call, workId: newEventId(), most: tokens(10) })).toEqual({
        ok: true,
        budgets: 0,
      });
      const budgetId = await addBudget(h, { scope: "group", scopeId: groupId, unit: "tokens", cap: 15 });
      // Remembered: the new budget is not seen until the notice arrives (or the TTL ends).
      expect(await gate.reserve({ ...call, workId: newEventId(), most: tokens(10) })).toEqual({
        ok: true,
        budgets: 0,
      });
      expect(await periodOf(h, budgetId)).toMatchObject({ reserved: 0 });
      gate.forget();
      expect(await gate.reserve({ ...call, workId: newEventId(), most: tokens(10) })).toEqual({
        ok: true,
        budgets: 1,
      });
      // Covered answers are never reused: the cap holds on the next call.
      expect(await gate.reserve({ ...call, workId: newEventId(), most: tokens(10) })).toMatchObject({
        ok: false,
      });
      // Another group and account, with the TTL at 0: asked every call.
      const every = createBudgetGate(h.db, { ...TTL, uncoveredTtlMs: 0 });
      const other = { accountId: newEventId(), groupId: newEventId(), at: AT };
      await every.reserve({ ...other, workId: newEventId(), most: tokens(1) });
      const otherBudget = await addBudget(h, {
        scope: "group",
        scopeId: other.groupId,
        unit: "tokens",
        cap: 5,
      });
      expect(await every.reserve({ ...other, workId: newEventId(), most: tokens(1) })).toEqual({
        ok: true,
        budgets: 1,
      });
      expect(await periodOf(h, otherBudget)).toMatchObject({ reserved: 1 });
    });

    it(`${kind}: calls asked about at once, in one statement, each get only the budgets covering it`, async () => {
      const h = both.handles[kind];
      const gate = createBudgetGate(h.db, TTL);
      const [a1, a2, g1, g2, g3] = [newEventId(), newEventId(), newEventId(), newEventId(), newEventId()];
      await addBudget(h, { scope: "account", scopeId: a1, unit: "tokens", cap: 100 });
      await addBudget(h, { scope: "group", scopeId: g2, unit: "tokens", cap: 100 });
      const ask = (accountId: string | null, groupId: string, n: number) =>
        gate.reserve({ workId: newEventId(), accountId, groupId, at: AT, most: tokens(n) });
      const answers = await Promise.all([
        ask(a1, g1, 10), // the account's budget
        ask(a2, g1, 500), // none: another account in the same group
        ask(a2, g2, 10), // the group's budget
        ask(null, g3, 500), // none: no account, an uncovered group
        ask(null, g2, 500), // the group's budget, over its cap
        ask(a1, g2, 10), // both
      ]);
      expect(answers.map((r) => (r.ok ? r.budgets : "refused"))).toEqual([1, 0, 1, 0, "refused", 2]);
    });
  }
});

describe("budget gate across three executors (three pools on one PostgreSQL)", () => {
  let pg: TestDatabase;
  const handles: DbHandle[] = [];
  let gates: BudgetGate[];
  beforeAll(async () => {
    pg = await createTestDatabase();
    for (let i = 0; i < 3; i++) handles.push(await openDb({ url: pg.url, poolSize: 4 }));
    gates = handles.map((h) => createBudgetGate(h.db, TTL));
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close()));
    await pg?.drop();
  });

  it("lets concurrent calls reserve at most the cap, and charges each once on settlement", async () => {
    const [h] = handles as [DbHandle];
    const accountId = newEventId();
    const groupId = newEventId();
    const cap = 1000;
    const account = await addBudget(h, { scope: "account", scopeId: accountId, unit: "tokens", cap });
    const group = await addBudget(h, { scope: "group", scopeId: groupId, unit: "tokens", cap: cap * 10 });
    const works = Array.from({ length: 36 }, () => newEventId());
    // Each call is delivered twice, to two different executors, at once.
    const results = await Promise.all(
      works.flatMap((workId, i) =>
        [0, 1].map((k) =>
          (gates[(i + k) % 3] as BudgetGate).reserve({
            accountId,
            groupId,
            at: AT,
            workId,
            most: tokens(90),
          }),
        ),
      ),
    );
    const admitted = works.filter((_, i) => results[2 * i]?.ok || results[2 * i + 1]?.ok);
    // 11 × 90 = 990 ≤ 1000 < 12 × 90.
    expect(admitted).toHaveLength(11);
    expect(await periodOf(h, account)).toMatchObject({ spent: 0, reserved: 990 });
    expect(await periodOf(h, group)).toMatchObject({ reserved: 990 });

    // Settled concurrently, twice each, by different executors: each is charged once.
    await Promise.all(
      admitted.flatMap((workId, i) =>
        [0, 1].map((k) =>
          (gates[(i + k) % 3] as BudgetGate).settle({ workId, used: { tokens: 80, cost: null } }),
        ),
      ),
    );
    expect(await periodOf(h, account)).toMatchObject({ spent: 880, reserved: 0, warned: true });
    expect(await periodOf(h, group)).toMatchObject({ spent: 880, reserved: 0 });
    const settled = await h.db
      .select()
      .from(budgetReservations)
      .where(eq(budgetReservations.budgetId, account));
    expect(settled).toHaveLength(11);
    expect(settled.every((r) => r.state === "settled" && Number(r.actual) === 80)).toBe(true);
  });
});
