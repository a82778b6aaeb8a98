import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { TestSystem } from "@conclave/testing";

/** Jiffies per second for /proc/<pid>/stat; 100 on every common Linux build. */
const CLK_TCK = (() => {
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

function pidsNamed(prefix: string): number[] {
  try {
    return readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, "utf8").startsWith(prefix);
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** A process and its children (a postmaster and its backends), now. */
function treeOf(pid: number): number[] {
  const out = [pid];
  try {
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        // The parent pid follows the command, which may hold spaces and parentheses.
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(d));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

/** Busy CPU ms of the whole machine (all cores), from the first line of /proc/stat. */
function machineBusyMs(): number | undefined {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/) ?? [];
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + Number(ticks[i] ?? 0), 0);
    return (busy * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

type Groups = Record<string, () => number[]>;

function snapshot(groups: Groups): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const [label, pids] of Object.entries(groups)) {
    const m = new Map<number, number>();
    for (const pid of pids()) {
      const ms = cpuMs(pid);
      if (ms !== undefined) m.set(pid, ms);
    }
    out.set(label, m);
  }
  return out;
}

/** The servers the system runs on: their process ids when they are the benchmark's own. */
export interface ServerPids {
  natsServer?: number | undefined;
  /** The postmaster: its backends count with it. */
  postgres?: number | undefined;
}

/**
 * Starts counting the CPU time of each app process, this process, the nats-server and PostgreSQL
 * (the benchmark's own when their pids are given, else every such process on the machine, labelled
 * "shared"), and what the rest of the machine used; `stop()` returns the ms each used since. Linux
 * only: elsewhere it is empty.
 */
export function countCpu(
  sys: Pick<TestSystem, "apps">,
  servers: ServerPids = {},
): { stop(): Record<string, number> } {
  const { natsServer, postgres } = servers;
  const groups: Groups = {
    bench: () => [process.pid],
    ...(natsServer !== undefined
      ? { "nats-server": () => [natsServer] }
      : { "nats-server (shared)": () => pidsNamed("nats-server") }),
    ...(postgres !== undefined
      ? { postgres: () => treeOf(postgres) }
      : { "postgres (shared)": () => pidsNamed("postgres") }),
  };
  for (const app of sys.apps) {
    const label = sys.apps.filter((a) => a.app === app.app).length > 1 ? `${app.app} ${app.pid}` : app.app;
    groups[label] = () => (app.pid === undefined ? [] : [app.pid]);
  }
  const before = snapshot(groups);
  const machineBefore = machineBusyMs();
  return {
    stop() {
      const after = snapshot(groups);
      const machineAfter = machineBusyMs();
      const used: Record<string, number> = {};
      for (const [label, pids] of after) {
        if (pids.size === 0) continue;
        let ms = 0;
        // A process started meanwhile (a new database backend) counts from zero.
        for (const [pid, now] of pids) ms += now - (before.get(label)?.get(pid) ?? 0);
        used[label] = ms;
      }
      // Other engineers' tests and builds share these cores: show how much they took meanwhile.
      if (machineBefore !== undefined && machineAfter !== undefined) {
        const ours = Object.values(used).reduce((sum, ms) => sum + ms, 0);
        used["(other processes)"] = Math.max(0, machineAfter - machineBefore - ours);
      }
      return used;
    },
  };
}
