import { type Db, desc, eq, type FileProfile, files } from "@conclave/db";

/** A file of the group as its agents are told of it. */
export interface GroupFile {
  id: string;
  name: string;
  profile: FileProfile;
}

/** The group's newest files (at most `limit`), newest first, with their profiles. */
export async function loadFiles(db: Db, groupId: string, limit = 20): Promise<GroupFile[]> {
  return db
    .select({ id: files.id, name: files.name, profile: files.profile })
    .from(files)
    .where(eq(files.groupId, groupId))
    .orderBy(desc(files.id))
    .limit(limit);
}
