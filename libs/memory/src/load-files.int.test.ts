import { type DbHandle, eq, type FileProfile, files, groups } from "@conclave/db";
import { newEventId } from "@conclave/subjects";
import { type BothDatabases, openBothDatabases } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFiles } from "./load-files.js";

let both: BothDatabases;
const handles: Record<string, DbHandle> = {};

beforeAll(async () => {
  both = await openBothDatabases();
  Object.assign(handles, both.handles);
});
afterAll(async () => {
  await both?.close();
});

const profile: FileProfile = {
  rows: 2,
  columns: [{ name: "a", type: "integer", nulls: 0, distinct: 2, min: 1, max: 2, mean: 1.5, stddev: 0.7 }],
};

async function groupWithFiles(h: DbHandle, names: string[]) {
  const groupId = newEventId();
  await h.db.insert(groups).values({ id: groupId, name: "g" });
  const ids: string[] = [];
  for (const name of names) {
    const id = newEventId();
    ids.push(id);
    await h.db
      .insert(files)
      .values({ id, groupId, name, contentType: "text/csv", size: 8, sha256: "0".repeat(64), profile });
  }
  return { groupId, ids };
}

describe.each(["postgres", "pglite"])("a group's files on %s", (db) => {
  it("are loaded newest first with their profiles, at most `limit`, and only the group's", async () => {
    const h = handles[db] as DbHandle;
    const { groupId, ids } = await groupWithFiles(h, ["a.csv", "b.csv", "c.csv"]);
    await groupWithFiles(h, ["other.csv"]);
    expect(await loadFiles(h.db, groupId)).toEqual([
      { id: ids[2], name: "c.csv", profile },
      { id: ids[1], name: "b.csv", profile },
      { id: ids[0], name: "a.csv", profile },
    ]);
    expect((await loadFiles(h.db, groupId, 1)).map((f) => f.name)).toEqual(["c.csv"]);
    expect(await loadFiles(h.db, newEventId())).toEqual([]);
  });

  it("go with their group", async () => {
    const h = handles[db] as DbHandle;
    const { groupId } = await groupWithFiles(h, ["a.csv"]);
    await h.db.delete(groups).where(eq(groups.id, groupId));
    expect(await h.db.select().from(files).where(eq(files.groupId, groupId))).toEqual([]);
  });
});
