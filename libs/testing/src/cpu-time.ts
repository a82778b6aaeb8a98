import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Jiffies per second for /proc/<pid>/stat; 100 on every common Linux build. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** user + system CPU of a process in ms, or undefined when it is gone (or there is no /proc). */
export function cpuMs(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}
