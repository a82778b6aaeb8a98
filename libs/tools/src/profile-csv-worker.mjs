// The CSV profiler's thread: profiles one text per message, answering its id with the profile or
// the error's code and message. The package is TypeScript, and a worker does not inherit the
// app's `--import tsx` loader hooks (Node 20): it registers tsx itself.
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { profileCsv } = await import("./profile-csv.ts");

parentPort?.on("message", ({ id, text, limits }) => {
  try {
    parentPort?.postMessage({ id, ok: true, profile: profileCsv(text, limits) });
  } catch (e) {
    parentPort?.postMessage({
      id,
      ok: false,
      code: e?.code,
      message: e instanceof Error ? e.message : String(e),
    });
  }
});
