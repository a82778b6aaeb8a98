import { type DbHandle, messageSearchTerms, messageSearchVector, messages, sql } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { type BothDatabases, openBothDatabases } from "@conclave/testing";
import { historyTerms, runSearchHistory } from "@conclave/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHistoryStore } from "./history-store.js";

let both: BothDatabases;
const handles: Record<string, DbHandle> = {};

beforeAll(async () => {
  both = await openBothDatabases();
  Object.assign(handles, both.handles);
});
afterAll(async () => {
  await both?.close();
});

type Row = typeof messages.$inferInsert;

/** A group's history: seq, who, what, and (for agents) what the ask wanted. */
async function seed(db: DbHandle["db"], groupId: string, rows: [number, string, string, string | null][]) {
  const values: Row[] = rows.map(([seq, author, content, purpose]) => ({
    id: newEventId(),
    groupId,
    turnId: null,
    seq,
    type: author === "Lin" ? "message.posted" : "agent.replied",
    authorKind: author === "Lin" ? "user" : "agent",
    authorId: author,
    authorName: author,
    content,
    purpose,
    at: new Date(Date.UTC(2025, 0, 1, 12, 0, seq)).toISOString(),
  }));
  await db.insert(messages).values(values);
}

describe.each(["postgres", "pglite"])("the history store on %s", (kind) => {
  const db = () => (handles[kind] as DbHandle).db;
  const groupId = newEventId();
  const otherGroupId = newEventId();
  const search = (query: string, o: { limit?: number; beforeSeq?: number; group?: string } = {}) =>
    createHistoryStore(db()).search({
      groupId: o.group ?? groupId,
      terms: historyTerms(query),
      limit: o.limit ?? 5,
      ...(o.beforeSeq === undefined ? {} : { beforeSeq: o.beforeSeq }),
    });

  beforeAll(async () => {
    await seed(db(), groupId, [
      [10, "Lin", "The Falcon launch date is March 3; the release notes are in the wiki.", null],
      [11, "Ada", "Falcon is only a codename.", "reply"],
      [
        12,
        "Ada",
        '{"choice":"Falcon launch date","confidence":0.9,"rationale":"falcon launch date"}',
        "ballot",
      ],
      [13, "Bo", "Falcon launch date", "select"],
      // A reply recorded before replies said what they answered.
      [14, "Bo", "The launch checklist for Falcon is done.", null],
      [15, "Lin", "Lunch at noon?", null],
    ]);
    // Another group, the same words: none of it may ever be found from the first.
    await seed(db(), otherGroupId, [
      [20, "Lin", "Falcon launch date moved: the Falcon launch date is now April 9.", null],
      [21, "Ada", "Falcon launch date confirmed.", "reply"],
    ]);
  });

  it("ranks the messages holding more of the words first, with marked snippets, author and time", async () => {
    const found = await search("falcon launch date");
    expect(found.total).toBe(3);
    expect(found.hits.map((h) => h.seq)).toEqual([10, 14, 11]);
    const [first, second, third] = found.hits;
    expect(first).toMatchObject({
      seq: 10,
      at: "2025-01-01T12:00:10.000Z",
      author: { kind: "user", name: "Lin" },
    });
    expect(first?.snippet).toContain("«Falcon» «launch» «date»");
    expect(second).toMatchObject({ author: { kind: "agent", name: "Bo" } });
    expect(second?.snippet).toContain("«launch»");
    expect(third?.snippet).toBe("«Falcon» is only a codename.");
    const ranks = found.hits.map((h) => h.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(first?.rank).toBeGreaterThan(second?.rank ?? Number.POSITIVE_INFINITY);
  });

  it("never finds another group's messages, nor ballots or selector picks", async () => {
    const found = await search("falcon launch date confirmed april", { limit: 20 });
    expect(found.hits.map((h) => h.seq)).toEqual([10, 14, 11]);
    for (const h of found.hits) {
      expect(h.snippet).not.toMatch(/choice|April|confirmed/);
    }
    // The other group finds its own.
    const other = await search("confirmed", { group: otherGroupId });
    expect(other.hits.map((h) => h.seq)).toEqual([21]);
    expect((await search("confirmed")).hits).toEqual([]);
    // A group id that is not a UUID finds nothing (and is no SQL error).
    expect(await search("falcon", { group: `${groupId}' or true --` })).toEqual({ hits: [], total: 0 });
  });

  it("honours limit and beforeSeq, and counts every match in total", async () => {
    const limited = await search("falcon launch date", { limit: 2 });
    expect(limited.hits.map((h) => h.seq)).toEqual([10, 14]);
    expect(limited.total).toBe(3);
    const before = await search("falcon launch date", { beforeSeq: 14 });
    expect(before.hits.map((h) => h.seq)).toEqual([10, 11]);
    expect(before.total).toBe(2);
    expect(await search("falcon", { beforeSeq: 10 })).toEqual({ hits: [], total: 0 });
  });

  it("answers no hits, not an error, for queries without words or with text SQL would choke on", async () => {
    for (const q of ["", "?!", "& | ! <->", "'); delete from messages; --", "\\\\ %_ $1", "lunchbox"]) {
      expect(await search(q), q).toEqual({ hits: [], total: 0 });
    }
    // Terms PostgreSQL's parser drops entirely, straight to the store.
    const store = createHistoryStore(db());
    expect(await store.search({ groupId, terms: ["&", "!!"], limit: 5 })).toEqual({ hits: [], total: 0 });
    expect((await search("lunch")).hits.map((h) => h.seq)).toEqual([15]);
  });

  it("finds words whatever their case, and across languages the way they are written", async () => {
    await seed(db(), groupId, [[30, "Lin", "Der Käse ist alle — le fromage est fini", null]]);
    expect((await search("KÄSE")).hits.map((h) => h.seq)).toEqual([30]);
    expect((await search("fromage")).hits.map((h) => h.seq)).toEqual([30]);
  });

  it("runs as the tool runs it: the group from the caller, snippets cut", async () => {
    const long = `${"filler ".repeat(100)}the Osprey budget is 40k ${"padding ".repeat(100)}`;
    await seed(db(), groupId, [[40, "Lin", long, null]]);
    const out = await runSearchHistory(
      { store: createHistoryStore(db()) },
      { query: "osprey budget", limit: 5 },
      groupId,
    );
    expect(out.total).toBe(1);
    expect(out.hits[0]?.snippet).toContain("«Osprey» «budget»");
    expect(out.hits[0]?.snippet.length).toBeLessThanOrEqual(300);
  });

  it("matches through the GIN index on the content's search vector", async () => {
    const plan = await db().transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const result = await tx.execute(
        sql`explain select ${messages.id} from ${messages} where ${messageSearchVector(messages.content)} @@ ${messageSearchTerms("falcon")}`,
      );
      return JSON.stringify(result);
    });
    expect(plan).toContain("messages_content_search_idx");
  });
});
