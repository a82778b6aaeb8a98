import { openDb } from "@conclave/db";
import type { Logger } from "@conclave/log";
import type { CliConfig } from "./config.js";

/** Applies the committed migrations to DATABASE_URL, or to the embedded PGlite. */
export async function migrate(config: CliConfig, log: Logger): Promise<void> {
  const handle = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 1 });
  try {
    const t0 = Date.now();
    await handle.migrate();
    log.info({ db: handle.kind, ms: Date.now() - t0 }, "migrations applied");
  } finally {
    await handle.close();
  }
}
