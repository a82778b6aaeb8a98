import { parseConfig } from "@conclave/config";
import { z } from "zod";

/** Where the tests find the shared services. */
export const testEnv = parseConfig(
  z.object({
    TEST_NATS_URL: z.string().default("nats://127.0.0.1:4222"),
    /** A PostgreSQL role that may create databases; each test run makes its own database. */
    TEST_PG_ADMIN_URL: z.string().default("postgres://postgres@127.0.0.1:5432/postgres"),
    /** Keep the apps' logs on the console (they are kept in memory either way). */
    TEST_APP_LOGS: z.string().optional(),
    /** The prometheus binary of the metrics test (default: Debian's /usr/bin/prometheus, else PATH). */
    PROMETHEUS_BIN: z.string().optional(),
    /** The Chromium of the browser tests (default: Debian's /usr/bin/chromium). */
    CHROMIUM_BIN: z.string().optional(),
    /** `1`: start the apps from the production build (`npm run build`), not their TypeScript. */
    TEST_BUILT_APPS: z.enum(["0", "1"]).default("0"),
  }),
  process.env,
);
