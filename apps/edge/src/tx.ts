import type { Db } from "@conclave/db";

/** A transaction of the edge's database. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** The database, or a transaction on it: what a helper that runs inside either takes. */
export type Queryable = Db | Tx;
