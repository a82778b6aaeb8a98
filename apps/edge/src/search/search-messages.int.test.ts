import { accounts, type DbHandle, groupMembers, groups, messages, sql } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { type BothDatabases, openBothDatabases } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchStatement } from "./search-messages.js";

// The search statement on both drivers, and its plan on PostgreSQL: the match must go through the
// GIN expression index, which it does only if it uses the very expression the index was built on.

let dbs: BothDatabases;
const me = newEventId();
const mine = newEventId();
const theirs = newEventId();
const FILLER = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

async function seed(h: DbHandle) {
  const them = newEventId();
  await h.db.insert(accounts).values([
    { id: me, email: "me@example.com", passwordHash: "x" },
    { id: them, email: "them@example.com", passwordHash: "x" },
  ]);
  await h.db.insert(groups).values([
    { id: mine, name: "mine" },
    { id: theirs, name: "theirs" },
  ]);
  await h.db.insert(groupMembers).values([
    { groupId: mine, accountId: me, role: "viewer" },
    { groupId: theirs, accountId: them, role: "owner" },
  ]);
  const rows: (typeof messages.$inferInsert)[] = [];
  for (let i = 0; i < 4000; i++) {
    const groupId = i % 2 === 0 ? mine : theirs;
    const words = Array.from({ length: 12 }, (_, k) => FILLER[(i * 7 + k * 3) % FILLER.length]);
    // A rare word: in two messages out of 200 (one in each group), twice in one (it ranks first).
    if (i % 200 < 2) words.push("zephyr");
    if (i === 400) words.push("zephyr", "zephyr");
    rows.push({
      id: newEventId(),
      groupId,
      seq: i + 1,
      type: "message.posted",
      authorKind: "user",
      authorId: me,
      content: words.join(" "),
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    });
  }
  for (let i = 0; i < rows.length; i += 500) await h.db.insert(messages).values(rows.slice(i, i + 500));
}

const rowsOf = (result: unknown) =>
  (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];

beforeAll(async () => {
  dbs = await openBothDatabases();
  await seed(dbs.handles.postgres);
  await seed(dbs.handles.pglite);
  await dbs.handles.postgres.db.execute(sql`analyze messages`);
});
afterAll(async () => {
  await dbs?.close();
});

describe("the search statement", () => {
  for (const driver of ["postgres", "pglite"] as const)
    it(`finds only the caller's groups' matches, best first, marked (${driver})`, async () => {
      const { db } = dbs.handles[driver];
      const rows = rowsOf(await db.execute(searchStatement({ accountId: me, q: "Zephyr", limit: 50 })));
      // 40 messages hold the word, half of them in the caller's group.
      expect(rows).toHaveLength(20);
      expect(rows.every((r) => r.group_id === mine)).toBe(true);
      expect(Number(rows[0]?.seq)).toBe(401);
      const ranks = rows.map((r) => Number(r.rank));
      expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
      expect(ranks[0]).toBeGreaterThan(ranks[1] ?? 0);
      expect(String(rows[0]?.snippet)).toContain("«zephyr»");
      const none = rowsOf(
        await db.execute(searchStatement({ accountId: me, q: "zephyr", groupId: theirs, limit: 50 })),
      );
      expect(none).toHaveLength(0);
    });

  it("finds the matches through the GIN expression index on PostgreSQL", async () => {
    const { db } = dbs.handles.postgres;
    const statement = searchStatement({ accountId: me, q: "zephyr", limit: 21 });
    const [row] = rowsOf(await db.execute(sql`explain (format json) ${statement}`));
    const nodes: Record<string, unknown>[] = [];
    const walk = (n: unknown) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === "object") {
        nodes.push(n as Record<string, unknown>);
        Object.values(n).forEach(walk);
      }
    };
    walk(row);
    const onMessages = nodes.filter((n) => n["Relation Name"] === "messages");
    expect(onMessages.length).toBeGreaterThan(0);
    expect(onMessages.map((n) => n["Node Type"])).not.toContain("Seq Scan");
    expect(nodes.some((n) => n["Index Name"] === "messages_content_search_idx")).toBe(true);
  });
});
