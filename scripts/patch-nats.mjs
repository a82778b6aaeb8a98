// Runs after `npm ci` / `npm install` (root `postinstall`, after patch-postgres.mjs): removes a cost
// nats.js 3.4 pays on every request that got its answer. `RequestOne.resolver` settles the
// request, then calls `cancel()`, which rejects the already settled promise with a new
// `RequestError("cancelled")`: a no-op, but an Error with its stack trace each time (about a
// twentieth of the edge's CPU per post, and every app's requests pay it: KV reads and writes,
// JetStream publishes). The patch does what `cancel()` does minus that rejection (forget the request;
// the timer was stopped at the top of `resolver`); `cancel()` itself, which other callers use on pending requests, is untouched.
// Idempotent; fails loudly if the client's code changed.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const MARK = "/* conclave: settled requests allocate no error */";
const require = createRequire(import.meta.url);
let lib;
try {
  // The package's exports hide package.json: its CommonJS entry (lib/mod.js) sits next to request.js.
  lib = dirname(require.resolve("@nats-io/nats-core"));
} catch {
  process.exit(0); // not installed (a partial install): nothing to patch
}
const { version } = JSON.parse(readFileSync(join(lib, "..", "package.json"), "utf8"));
const file = join(lib, "request.js");
let text = readFileSync(file, "utf8");
if (!text.includes(MARK)) {
  const from = [
    "        else {",
    "            this.deferred.resolve(msg);",
    "        }",
    "        this.cancel();",
    "    }",
  ].join("\n");
  const to = [
    "        else {",
    "            this.deferred.resolve(msg);",
    "        }",
    `        ${MARK}`,
    "        this.mux.cancel(this);",
    "    }",
  ].join("\n");
  if (!text.includes(from)) {
    console.error(
      `patch-nats: @nats-io/nats-core ${version} lib/request.js does not hold the code this patch changes; check whether the new version still rejects settled requests in RequestOne.resolver and update scripts/patch-nats.mjs`,
    );
    process.exit(1);
  }
  text = text.replace(from, to);
  writeFileSync(file, text);
  console.log(`patch-nats: @nats-io/nats-core ${version} settles requests without a throwaway error`);
}
