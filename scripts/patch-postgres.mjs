// Runs after `npm ci` / `npm install` (root `postinstall`): fixes a postgres.js 3.4.x defect that
// crashes a process when PostgreSQL goes away in the middle of a transaction. A transaction's
// connection is reserved; once its socket closes, the driver's next write (drizzle's `rollback`)
// runs on a null socket inside a setImmediate, an uncaught TypeError no caller can catch
// (porsager/postgres#1154, #1208, unfixed in 3.4.10). The teardown also cancels a pending write
// without forgetting it, so that connection never flushes small writes again.
// The patch rejects that write's query with CONNECTION_CLOSED (the caller sees an ordinary error,
// and the connection is free again) and forgets pending writes on teardown. Idempotent; fails loudly if the driver's code changed.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const MARK = "/* conclave: null socket guard */";
const require = createRequire(import.meta.url);
let root;
try {
  // The package's exports hide package.json: go up from its CommonJS entry (cjs/src/index.js).
  root = join(dirname(require.resolve("postgres")), "..", "..");
} catch {
  process.exit(0); // not installed (a partial install): nothing to patch
}
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

const replacements = [
  [
    "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    [
      "  function nextWrite(fn) {",
      `    ${MARK}`,
      "    if (socket === null) {",
      "      chunk = nextWriteTimer = null",
      "      const err = Errors.connection('CONNECTION_CLOSED', options)",
      "      query && (queryError(query, err), query = null)",
      "      while (sent.length) queryError(sent.shift(), err)",
      "      return false",
      "    }",
      "    const x = socket.write(chunk, fn)",
    ].join("\n"),
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    if (socket) {",
    "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {",
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
    "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener('data', data)",
  ],
];

let patched = 0;
for (const build of ["src", "cjs/src", "cf/src"]) {
  const file = join(root, build, "connection.js");
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue;
  }
  if (text.includes(MARK)) continue;
  for (const [from, to] of replacements) {
    if (!text.includes(from)) {
      console.error(
        `patch-postgres: postgres ${version} ${build}/connection.js does not hold the code this patch fixes; check whether the new version fixed porsager/postgres#1208 and update scripts/patch-postgres.mjs`,
      );
      process.exit(1);
    }
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
  patched++;
}
if (patched > 0)
  console.log(
    `patch-postgres: guarded postgres ${version} against writes on a closed socket (${patched} builds)`,
  );
