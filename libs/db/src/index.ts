export {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  max,
  min,
  ne,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
export { type Db, type DbHandle, openDb, type Schema } from "./client.js";
export { queryRows } from "./rows.js";
export * from "./schema/index.js";
export { isDatabaseUnreachable } from "./unreachable.js";
