export { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
export { type Db, type DbHandle, openDb, type Schema } from "./client.js";
export * from "./schema/index.js";
