import { keyStoreFrom } from "@conclave/auth";
import { openDb } from "@conclave/db";
import type { Logger } from "@conclave/log";
import type { CliConfig } from "./config.js";

/**
 * Makes a new token signing key current. Tokens signed by the previous key keep verifying until
 * they expire; every replica picks the new key up within SIGNING_KEYS_CACHE_MS.
 */
export async function rotateKeys(config: CliConfig, log: Logger): Promise<string> {
  const handle = await openDb({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR, poolSize: 1 });
  try {
    const kid = await keyStoreFrom(handle.db, config).rotate();
    log.info({ kid }, "signing key rotated");
    return kid;
  } finally {
    await handle.close();
  }
}
