import { startSystem, type TestSystem, type TestUser, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Search end to end: two groups, the caller in one of them only (as a viewer). Hits come from the
// caller's group only, best first, with the matched words marked; pages are disjoint and complete.

let sys: TestSystem;
let reader: TestUser;
let stranger: TestUser;
let mine = "";
let theirs = "";

const OURS = [
  "a zebra crossed the road",
  "zebra zebra zebra, said the zebra keeper",
  "the lion and the zebra",
  "nothing to see here",
  ...Array.from({ length: 7 }, (_, i) => `paging test number ${i}`),
];
const THEIRS = ["the zebra plan is secret", "paging test from elsewhere"];

interface Hit {
  id: string;
  groupId: string;
  type: string;
  rank: number;
  snippet: string;
}
interface Page {
  items: Hit[];
  nextCursor: string | null;
  marks: { start: string; stop: string };
}

const search = async (query: string, token = reader.accessToken) => {
  const res = await sys.get(`/v1/search?${query}`, token);
  return {
    status: res.status,
    headers: res.headers,
    body: res.body as unknown as Page & { errors?: { path: string }[] },
  };
};

async function groupWith(owner: TestUser, name: string, contents: string[]) {
  const created = await sys.post(
    "/v1/groups",
    { name, agents: [{ name: "Echo", scripted: { replies: ["noted"] } }] },
    owner.accessToken,
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  for (const content of contents)
    expect((await sys.post(`/v1/groups/${id}/messages`, { content }, owner.accessToken)).status).toBe(202);
  // Each message has its reply ("noted"); read as the group's owner.
  await waitUntil(
    `${name}'s history`,
    async () => {
      const res = await sys.get(`/v1/groups/${id}/messages?limit=500`, owner.accessToken);
      return ((res.body.items as unknown[] | undefined)?.length ?? 0) >= contents.length * 2;
    },
    60_000,
  );
  return id;
}

beforeAll(async () => {
  sys = await startSystem();
  [reader, stranger] = [await sys.register(), await sys.register()];
  mine = await groupWith(sys.user, "ours", OURS);
  expect((await sys.post(`/v1/groups/${mine}/members`, { email: reader.email, role: "viewer" })).status).toBe(
    201,
  );
  theirs = await groupWith(stranger, "theirs", THEIRS);
}, 180_000);
afterAll(async () => {
  await sys?.stop();
});

describe("searching messages", () => {
  it("finds the caller's groups' messages only, best first, with the matching words marked", async () => {
    const res = await search("q=Zebra");
    expect(res.status).toBe(200);
    const { items, marks } = res.body;
    expect(marks).toEqual({ start: "«", stop: "»" });
    expect(items).toHaveLength(3);
    expect(items.every((h) => h.groupId === mine)).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain("secret");
    expect(items[0]?.snippet).toBe("«zebra» «zebra» «zebra», said the «zebra» keeper");
    const ranks = items.map((h) => h.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(ranks[0]).toBeGreaterThan(ranks[2] ?? Number.POSITIVE_INFINITY);
    expect(items.every((h) => h.snippet.includes("«zebra»"))).toBe(true);
    expect(res.body.nextCursor).toBeNull();
    // Every word must match.
    const both = await search("q=lion%20zebra");
    expect(both.body.items.map((h) => h.snippet)).toEqual(["the «lion» and the «zebra»"]);
  });

  it("pages through a stable order: disjoint pages that together are every hit", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const res = await search(`q=paging&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      sizes.push(res.body.items.length);
      seen.push(...res.body.items.map((h) => h.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(new Set(seen).size).toBe(7);
    const all = await search("q=paging&limit=50");
    expect(all.body.items.map((h) => h.id)).toEqual(seen);
  });

  it("filters by a group of the caller's, and answers 404 for a group the caller is not in", async () => {
    const only = await search(`q=paging&groupId=${mine}`);
    expect(only.status).toBe(200);
    expect(only.body.items).toHaveLength(7);
    const other = await search(`q=zebra&groupId=${theirs}`);
    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toMatch(/problem\+json/);
    // The stranger finds their own group's words, and none of the reader's.
    const theirsFound = await search("q=zebra", stranger.accessToken);
    expect(theirsFound.body.items.map((h) => h.groupId)).toEqual([theirs]);
  });

  it("refuses an empty, blank, wordless or too long query, a bad limit and a forged cursor, naming each", async () => {
    const cases: [string, string][] = [
      ["q=", "query.q"],
      ["", "query.q"],
      ["q=%20%20%20", "query.q"],
      ["q=%21%3F%21", "query.q"],
      [`q=${"a".repeat(201)}`, "query.q"],
      ["q=zebra&limit=51", "query.limit"],
      ["q=zebra&limit=0", "query.limit"],
      ["q=zebra&groupId=nope", "query.groupId"],
      ["q=zebra&cursor=not-a-cursor", "query.cursor"],
    ];
    for (const [query, path] of cases) {
      const res = await search(query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get("content-type"), query).toMatch(/problem\+json/);
      expect(
        res.body.errors?.map((e) => e.path),
        query,
      ).toEqual([path]);
    }
  });
});
