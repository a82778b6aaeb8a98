import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, openTestBus, REPO_ROOT, testEnv, uniqueNamespace, waitUntil } from "@conclave/testing";
import { afterAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const children: ChildProcess[] = [];
let dataDir = "";
let ns = "";

afterAll(async () => {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (ns) await (await openTestBus(ns)).dispose();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function start(command: string, env: Record<string, string>) {
  const child = spawn("sh", ["-c", command], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const out: string[] = [];
  child.stdout?.on("data", (d: Buffer) => out.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => out.push(d.toString()));
  return { child, text: () => out.join("") };
}

describe("the README quick start", () => {
  it("npm start runs everything with embedded PGlite, and the printed commands work as printed", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "conclave-quickstart-"));
    ns = uniqueNamespace("qs");
    const env = {
      CONCLAVE_NS: ns,
      NATS_URL: testEnv.TEST_NATS_URL,
      PGLITE_DIR: join(dataDir, "pglite"),
      EDGE_PORT: String(await freePort()),
      FANOUT_PORT: String(await freePort()),
      // Not the fixed defaults: another run on this machine may hold them.
      EDGE_OPS_PORT: String(await freePort()),
      FANOUT_OPS_PORT: String(await freePort()),
      RECORDER_OPS_PORT: String(await freePort()),
      ORCHESTRATOR_OPS_PORT: String(await freePort()),
      EXECUTOR_OPS_PORT: String(await freePort()),
    };
    // exec: npm itself receives the Ctrl-C, as in a terminal.
    const dev = start("exec npm start", env);
    const t0 = Date.now();
    const banner = await waitUntil(
      "the banner",
      () => (dev.text().includes("Ctrl-C stops everything") ? dev.text() : undefined),
      90_000,
    );
    expect(banner).toContain("embedded PGlite");
    console.log(`npm start was ready in ${Date.now() - t0} ms`);
    const printed = (prefix: string) => {
      const line = banner.split("\n").find((l) => l.trimStart().startsWith(prefix));
      if (!line) throw new Error(`no "${prefix}" line in:\n${banner}`);
      return line.trim();
    };
    // The console, as printed: its page, where its stream is, and the demo account that signs in.
    const [consoleUrl, email, , password] = printed(`http://127.0.0.1:${env.EDGE_PORT}/console `).split(
      /\s+/,
    );
    const page = await fetch(consoleUrl ?? "");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect(await (await fetch(`${consoleUrl}/config.json`)).json()).toEqual({
      streamUrl: `ws://127.0.0.1:${env.FANOUT_PORT}/v1/stream`,
    });
    const login = await fetch(`http://127.0.0.1:${env.EDGE_PORT}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);
    const cliEnv = `EDGE_PORT=${env.EDGE_PORT} FANOUT_PORT=${env.FANOUT_PORT} CONCLAVE_TOKEN=`;
    const watchCmd = printed(cliEnv);
    const postCmd = printed("curl -s -X POST");
    const historyCmd = printed("curl -s http");

    // Run the commands exactly as printed, in a shell, from the repo.
    const watch = start(watchCmd, {});
    await waitUntil("the watcher to subscribe", () => watch.text().includes("following group"), 30_000);
    const posted = JSON.parse((await exec("sh", ["-c", postCmd], { cwd: REPO_ROOT })).stdout) as {
      turnId: string;
      seq: number;
    };
    expect(posted.seq).toBeGreaterThan(0);
    await waitUntil("the watcher to see the turn end", () => watch.text().includes("turn.completed"), 30_000);
    // A chat: the person by name (the demo account's email), each answer whole on its agent's line.
    expect(watch.text()).toMatch(/^demo\S*@\S+: Hello, agents!$/m);
    expect(watch.text()).toMatch(/^Ada: Hello! I am Ada.*\(\d+→\d+ tokens, \d+ ms\)$/m);
    expect(watch.text()).toMatch(/^Grace: Grace heard: Hello, agents!/m);
    const history = await waitUntil("the history", async () => {
      const body = JSON.parse((await exec("sh", ["-c", historyCmd], { cwd: REPO_ROOT })).stdout) as {
        items: unknown[];
      };
      return body.items.length === 3 ? body.items : undefined;
    });
    expect(history).toHaveLength(3);

    // Every app's ops port, as printed, in this one process: its own registry, health and readiness.
    const opsPort: Record<string, string> = {
      edge: env.EDGE_OPS_PORT,
      fanout: env.FANOUT_OPS_PORT,
      recorder: env.RECORDER_OPS_PORT,
      orchestrator: env.ORCHESTRATOR_OPS_PORT,
      executor: env.EXECUTOR_OPS_PORT,
    };
    for (const [app, port] of Object.entries(opsPort)) {
      const url = `http://127.0.0.1:${port}`;
      expect(printed(app)).toBe(`${app.padEnd(12)} ${url}`);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(`conclave_process_cpu_seconds_total{app="${app}"}`);
      expect(metrics).not.toMatch(new RegExp(`app="(?!${app}")`));
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const detailed = (await (await fetch(`${url}/health/detailed`)).json()) as { status: string };
      expect(["ok", "degraded"]).toContain(detailed.status);
    }
    const turns = await (await fetch(`http://127.0.0.1:${opsPort.orchestrator}/metrics`)).text();
    expect(turns).toMatch(
      /conclave_turns_total\{outcome="completed",strategy="[a-z_]+",app="orchestrator"\} [1-9]/,
    );

    // The debate demo, its two printed commands after the first ones.
    const lines = banner.split("\n").map((l) => l.trim());
    const councilWatch = lines.filter((l) => l.startsWith(cliEnv))[1];
    const councilPost = lines.filter((l) => l.startsWith("curl -s -X POST"))[1];
    expect(councilWatch && councilPost, "the debate demo's commands are printed").toBeTruthy();
    const debate = start(councilWatch ?? "", {});
    await waitUntil(
      "the debate watcher to subscribe",
      () => debate.text().includes("following group"),
      30_000,
    );
    await exec("sh", ["-c", councilPost ?? ""], { cwd: REPO_ROOT });
    await waitUntil("the debate to end", () => debate.text().includes("turn.completed"), 30_000);
    expect(debate.text()).toMatch(/vote\.cast · Linus: votes Grace \(confidence 70%\)/);
    expect(debate.text()).toMatch(
      /consensus\.reached · conclave: consensus on Grace · 67% of the votes · majority/,
    );
    // The replay the banner prints reads the same debate back from the API.
    const replayCmd = lines.find((l) => l.startsWith(cliEnv) && l.includes("npm run replay"));
    expect(replayCmd, "the replay command is printed").toBeTruthy();
    // The read model may trail the live feed by a moment.
    const replayed = await waitUntil("the replay to show the consensus", async () => {
      const out = (await exec("sh", ["-c", replayCmd ?? ""], { cwd: REPO_ROOT })).stdout;
      return out.includes("consensus.reached") ? out : undefined;
    });
    expect(replayed).toMatch(/Linus +vote\.cast +votes Grace \(confidence 70%\)/);
    expect(replayed).toMatch(
      /conclave +consensus\.reached +consensus on Grace · 67% of the votes · majority/,
    );

    // Ctrl-C: the terminal signals the whole foreground group; everything stops cleanly.
    if (dev.child.pid) process.kill(-dev.child.pid, "SIGINT");
    await new Promise((resolve) => dev.child.once("exit", resolve));
    // npm may exit on the signal before the app it ran has drained: its last lines come after.
    await waitUntil(
      "the app's last line",
      () => /"msg":"(stopped|drain timed out; exiting|stop failed)"/.test(dev.text()),
      30_000,
    ).catch(() => undefined);
    expect(dev.text()).toContain('"msg":"stopped"');
    expect(dev.text()).not.toContain("drain timed out");
    await expect(fetch(`http://127.0.0.1:${env.EDGE_PORT}/healthz`)).rejects.toThrow();
  });
});
