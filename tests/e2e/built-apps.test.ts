import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import {
  type Frame,
  freePort,
  REPO_ROOT,
  startSystem,
  type TestSystem,
  waitForHistory,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The production bundles (`npm run build`, run by CI before the tests), not the TypeScript: what
// the images run. Each app is `node apps/<app>/dist/main.js`, with no tsx loader.
let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({ built: true });
});
afterAll(async () => {
  await sys?.stop();
});

const types = (frames: Frame[]) => frames.map((f) => f.event?.type);

describe("the built apps", () => {
  it("are the bundles, started by plain node", async () => {
    expect(sys.apps).toHaveLength(5);
    for (const app of sys.apps) {
      const cmdline = (await readFile(`/proc/${app.pid}/cmdline`, "utf8")).split("\0");
      expect(cmdline).toContain(`apps/${app.app}/dist/main.js`);
      expect(cmdline).not.toContain("tsx");
    }
  });

  it("serve the web console that `npm run build` built, from the edge's bundle", async () => {
    const page = await fetch(`${sys.edgeUrl}/console/groups`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeTruthy();
    const js = await fetch(`${sys.edgeUrl}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toContain("immutable");
  });

  it("run a turn end to end: posted, started, each reply, completed, relayed in order and recorded", async () => {
    const created = await sys.post("/v1/groups", {
      name: "built",
      agents: [
        { name: "Ada", scripted: { replies: ["from the bundle"] } },
        { name: "Grace", scripted: { echo: true } },
      ],
    });
    expect(created.status).toBe(201);
    const groupId = created.body.id as string;
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "hello bundle" });
    expect(posted.status).toBe(202);
    const { turnId } = posted.body as { turnId: string };

    await client.waitFor("turn.completed", (f) => f.event?.type === "turn.completed");
    const frames = client.events(groupId);
    expect(types(frames)).toEqual([
      "message.posted",
      "turn.started",
      "agent.replied",
      "agent.replied",
      "turn.completed",
    ]);
    expect(frames.every((f) => f.event?.turnId === turnId)).toBe(true);
    const replies = frames
      .filter((f) => f.event?.type === "agent.replied")
      .map((f) => f.event?.payload.content);
    expect(replies.sort()).toEqual(["from the bundle", "hello bundle"]);
    const history = (await waitForHistory(sys, groupId, 3)) as { type: string }[];
    expect(history.map((m) => m.type)).toEqual(["message.posted", "agent.replied", "agent.replied"]);
    await client.close();
  });

  it("serve the edge's and the fanout's health routes", async () => {
    for (const base of [sys.edgeUrl, sys.fanoutUrl]) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    }
  });

  it("serve the widget that the build wrote beside the edge's bundle", async () => {
    const res = await fetch(`${sys.edgeUrl}/widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await res.text()).toBe(await readFile(`${REPO_ROOT}apps/edge/dist/widget.js`, "utf8"));
  });

  it("pass the images' HEALTHCHECK script while up, and fail it on a port nothing serves", async () => {
    const check = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ["scripts/healthcheck.mjs"], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? "", ...env },
      }).then(
        () => 0,
        (e: { code?: number }) => e.code ?? -1,
      );
    const port = (url: string) => new URL(url).port;
    expect(await check({ CONCLAVE_APP: "edge", EDGE_PORT: port(sys.edgeUrl) })).toBe(0);
    expect(await check({ CONCLAVE_APP: "fanout", FANOUT_PORT: port(sys.fanoutUrl) })).toBe(0);
    expect(await check({ CONCLAVE_APP: "edge", EDGE_PORT: String(await freePort()) })).toBe(1);
    expect(await check({ CONCLAVE_APP: "nonsense" })).toBe(1);
  });

  it("ship a CLI bundle that runs its commands on plain node", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["apps/cli/dist/main.js", "nats-auth"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", CONCLAVE_NS: sys.ns },
    });
    expect(stdout).toContain("authorization {");
    expect(stdout).toContain(`NATS_USER=edge`);
    expect(stdout).toContain(`"${sys.ns}.conv.*.message.posted"`);
  });

  it("apply the migrations from the CLI bundle (drizzle/ found relative to apps/cli/dist)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "conclave-built-migrate-"));
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ["apps/cli/dist/main.js", "migrate"],
        {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH ?? "", PGLITE_DIR: dir, LOG_LEVEL: "info" },
        },
      );
      expect(`${stdout}${stderr}`).toContain('"msg":"migrations applied"');
      // PGlite keeps its files in the directory: the migrated database is there.
      expect((await readdir(dir)).length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("profile CSV in the executor's bundled worker thread, with no TypeScript loader", async () => {
    const worker = new Worker(`${REPO_ROOT}apps/executor/dist/profile-csv-worker.mjs`);
    try {
      const answer = await new Promise<{ ok: boolean; profile?: { rows: number } }>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        worker.postMessage({
          id: 1,
          text: "a,b\n1,2\n3,4\n",
          limits: { maxRows: 100, maxColumns: 10, sampleRows: 5 },
        });
      });
      expect(answer.ok).toBe(true);
      expect(answer.profile?.rows).toBe(2);
    } finally {
      await worker.terminate();
    }
  });

  it("serve /docs with the reference UI's script found in node_modules from apps/edge/dist", async () => {
    const html = await (await fetch(`${sys.edgeUrl}/docs`)).text();
    const script = /<script src="(\/docs\/assets\/[^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/docs\/assets\/api-reference-/);
    const res = await fetch(`${sys.edgeUrl}${script}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("createApiReference");
  });

  it("drain and exit 0 on SIGTERM", async () => {
    const recorder = sys.app("recorder");
    await recorder.stop();
    expect(await recorder.waitForExit()).toBe(0);
  });
});
