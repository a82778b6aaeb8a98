import { type Db, desc, eq, type FileProfile, files, sql } from "@conclave/db";

/** A file of the group as its agents are told of it. */
export interface GroupFile {
  id: string;
  name: string;
  profile: FileProfile;
}

// Read at the start of every turn: built once per database, not once per turn.
const prepared = new WeakMap<Db, ReturnType<typeof prepare>>();
const prepare = (db: Db) =>
  db
    .select({ id: files.id, name: files.name, profile: files.profile })
    .from(files)
    .where(eq(files.groupId, sql.placeholder("groupId")))
    .orderBy(desc(files.id))
    .limit(sql.placeholder("limit"))
    .prepare("conclave_load_files");

/** The group's newest files (at most `limit`), newest first, with their profiles. */
export async function loadFiles(db: Db, groupId: string, limit = 20): Promise<GroupFile[]> {
  let statement = prepared.get(db);
  if (!statement) {
    statement = prepare(db);
    prepared.set(db, statement);
  }
  return statement.execute({ groupId, limit });
}
