import { readFile } from "node:fs/promises";
import {
  type OwnPrometheus,
  prometheusBin,
  REPO_ROOT,
  startPrometheus,
  startSystem,
  type TestSystem,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// No skipping: a machine without Prometheus fails here with what to install.
const bin = prometheusBin();

let sys: TestSystem;
let prom: OwnPrometheus;

beforeAll(async () => {
  sys = await startSystem();
  prom = await startPrometheus(
    sys.apps.map((a) => {
      if (!a.opsUrl) throw new Error(`${a.app} has no ops port`);
      return { address: new URL(a.opsUrl).host, labels: { process: a.app } };
    }),
  );
});
afterAll(async () => {
  await prom?.dispose();
  await sys?.stop();
});

/** The summed value of a PromQL expression, once Prometheus has scraped it. */
async function summed(promql: string): Promise<number> {
  const result = await prom.query(`sum(${promql})`);
  return Number(result[0]?.value[1] ?? Number.NaN);
}

describe(`a real Prometheus (${bin}) scraping every app's ops port`, () => {
  it("sees every app up, each on its own registry with its app label", async () => {
    const targets = await waitUntil(
      "every target up",
      async () => {
        const t = await prom.targets();
        return t.length === 5 && t.every((x) => x.health === "up") ? t : undefined;
      },
      60_000,
      250,
    );
    expect(targets.map((t) => t.labels.process).sort()).toEqual(
      ["edge", "executor", "fanout", "orchestrator", "recorder"].sort(),
    );
    const apps = await prom.query("count by (app) (conclave_process_cpu_seconds_total)");
    expect(apps.map((r) => r.metric.app).sort()).toEqual(
      ["edge", "executor", "fanout", "orchestrator", "recorder"].sort(),
    );
  });

  it("moves the turn, LLM, consumer and HTTP series when a turn runs", async () => {
    const created = await sys.post("/v1/groups", {
      name: "metrics",
      agents: [{ name: "Ada", scripted: { replies: ["measured"] } }],
    });
    expect(created.status).toBe(201);
    const groupId = (created.body as { id: string }).id;
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "count me" });
    expect(posted.status).toBe(202);
    await client.waitFor("turn.completed", (f) => f.event?.type === "turn.completed");
    await fetch(`${sys.fanoutUrl}/healthz`);

    const moved = async (what: string, promql: string) =>
      waitUntil(
        what,
        async () => {
          const v = await summed(promql);
          return v > 0 ? v : undefined;
        },
        60_000,
        500,
      );
    expect(
      await moved(
        "a completed turn",
        'conclave_turns_total{app="orchestrator",outcome="completed",strategy="broadcast"}',
      ),
    ).toBe(1);
    await moved(
      "the turn's duration",
      'conclave_turn_duration_seconds_count{app="orchestrator",outcome="completed"}',
    );
    await moved(
      "an LLM call",
      'conclave_llm_call_duration_seconds_count{app="executor",provider="scripted",outcome="ok"}',
    );
    await moved(
      "the post's HTTP latency by route pattern",
      'conclave_http_request_duration_seconds_count{app="edge",route="/v1/groups/:groupId/messages",method="POST",status="202"}',
    );
    await moved(
      "the fanout's HTTP series",
      'conclave_http_request_duration_seconds_count{app="fanout",route="/healthz"}',
    );
    await moved("an open WebSocket", 'conclave_fanout_connections{app="fanout",transport="ws"}');
    for (const [app, consumer] of [
      ["recorder", "recorder"],
      ["orchestrator", "orchestrator"],
      ["executor", "executor-llm"],
    ]) {
      await moved(
        `${app}'s handler latency`,
        `conclave_consumer_handler_duration_seconds_count{app="${app}",consumer="${consumer}",outcome="ack"}`,
      );
    }
    // Sampled from consumer info at scrape time: present (zero once drained), per own consumer.
    const pending = await prom.query('conclave_consumer_pending{app="recorder"}');
    expect(pending.map((r) => r.metric.consumer)).toEqual(["recorder"]);
    // Never a group or turn id as a label value.
    const series = await prom.query('{__name__=~"conclave_.+", app=~".+"}');
    const values = series.flatMap((s) => Object.values(s.metric));
    expect(values.some((v) => v.includes(groupId))).toBe(false);
    await client.close();
  });

  it("serves health on the ops ports: live, ready, and each dependency in detail", async () => {
    for (const a of sys.apps) {
      const base = a.opsUrl ?? "";
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const res = await fetch(`${base}/health/detailed`);
      const body = (await res.json()) as {
        status: string;
        app: string;
        checks: Record<string, { status: string; responseMs: number; details?: Record<string, unknown> }>;
      };
      expect(body.app).toBe(a.app);
      expect(body.checks.nats?.status).toBe("up");
      expect(body.checks.nats?.details?.rttMs).toEqual(expect.any(Number));
      expect(body.checks.postgres?.status).toBe("up");
      expect(body.checks.consumers?.status).toBe("up");
    }
    const recorder = (await (await fetch(`${sys.app("recorder").opsUrl}/health/detailed`)).json()) as {
      checks: {
        consumers: { details: Record<string, { pending: number; ackPending: number; redelivered: number }> };
      };
    };
    expect(Object.keys(recorder.checks.consumers.details)).toEqual([
      `${sys.bus.names.stream("conv")}/recorder`,
    ]);
    // The public edge keeps the detailed view and the metrics to the ops port.
    expect((await fetch(`${sys.edgeUrl}/health/detailed`)).status).toBe(404);
    expect((await fetch(`${sys.edgeUrl}/metrics`)).status).toBe(404);
  });

  it("has the Grafana dashboard query only series the apps expose", async () => {
    const exposed = new Set<string>();
    for (const a of sys.apps) {
      const text = await (await fetch(`${a.opsUrl}/metrics`)).text();
      for (const m of text.matchAll(/^# TYPE (\S+) /gm)) if (m[1]) exposed.add(m[1]);
    }
    const dashboard = await readFile(`${REPO_ROOT}deploy/grafana/conclave.json`, "utf8");
    const used = new Set(
      [...dashboard.matchAll(/conclave_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, "")),
    );
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
