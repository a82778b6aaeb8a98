import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { type AppMetrics, createAppMetrics } from "./app-metrics.js";
import { httpMetrics } from "./http-metrics.js";
import { opsApp } from "./ops-server.js";

/** A series' value by name and labels (the `app` label is added by the registry). */
async function seriesValue(
  m: AppMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))?.value;
}

describe("httpMetrics", () => {
  it("labels requests by route pattern and status, never by the raw path", async () => {
    const m = createAppMetrics("edge", { defaults: false });
    const app = new Hono();
    app.use("*", httpMetrics(m));
    app.get("/v1/groups/:groupId", (c) => c.json({ id: c.req.param("groupId") }));
    app.get("/boom", () => {
      throw new Error("boom");
    });
    app.onError((_e, c) => c.json({ error: true }, 500));
    await app.request("/v1/groups/0193f1b2-aaaa");
    await app.request("/v1/groups/0193f1b2-bbbb");
    await app.request("/boom");
    await app.request("/no/such/path");
    const { body } = await m.render();
    const count = "conclave_http_request_duration_seconds_count";
    expect(body).toMatch(
      new RegExp(`${count}\\{[^}]*route="/v1/groups/:groupId",method="GET",status="200"[^}]*\\} 2`),
    );
    expect(body).toMatch(new RegExp(`${count}\\{[^}]*route="/boom",method="GET",status="500"[^}]*\\} 1`));
    expect(body).toMatch(new RegExp(`${count}\\{[^}]*route="unmatched",method="GET",status="404"[^}]*\\} 1`));
    expect(body).not.toContain("0193f1b2");
  });
});

describe("createAppMetrics", () => {
  it("keeps two apps of one process apart: same series names, own registries, own app label", async () => {
    const a = createAppMetrics("orchestrator", { defaults: false });
    const b = createAppMetrics("executor", { defaults: false });
    a.counter("conclave_things_total", "Things.").inc(3);
    b.counter("conclave_things_total", "Things.").inc(5);
    expect((await a.render()).body).toContain('conclave_things_total{app="orchestrator"} 3');
    expect((await b.render()).body).toContain('conclave_things_total{app="executor"} 5');
    expect((await a.render()).body).not.toContain("executor");
  });

  it("samples consumer lag at scrape time, reusing one info for scrapes close together", async () => {
    const m = createAppMetrics("recorder", { defaults: false });
    let calls = 0;
    const observer = m.consumers.track({
      stream: "s_conv",
      consumer: "recorder",
      info: async () => {
        calls++;
        return { num_pending: 7, num_ack_pending: 2, num_redelivered: 1 };
      },
    });
    observer.handled("ack", 0.004);
    observer.deadLettered();
    await m.render();
    await m.render();
    expect(calls).toBe(1);
    const l = { stream: "s_conv", consumer: "recorder" };
    expect(await seriesValue(m, "conclave_consumer_pending", l)).toBe(7);
    expect(await seriesValue(m, "conclave_consumer_ack_pending", l)).toBe(2);
    expect(await seriesValue(m, "conclave_consumer_redelivered", l)).toBe(1);
    expect(await seriesValue(m, "conclave_dead_letters_total", l)).toBe(1);
    const body = (await m.render()).body;
    expect(body).toMatch(/conclave_consumer_handler_duration_seconds_count\{[^}]*outcome="ack"[^}]*\} 1/);
    observer.untrack();
    expect(m.consumers.tracked()).toEqual([]);
  });
});

describe("opsApp", () => {
  it("is ready with every critical check up, and reports a failing one as down with its error and 503", async () => {
    let dbUp = true;
    const app = opsApp({
      metrics: createAppMetrics("edge", { defaults: false }),
      checks: [
        {
          name: "postgres",
          run: async () => {
            if (!dbUp)
              throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
            return { status: "up" };
          },
        },
        {
          name: "providers",
          critical: false,
          run: async () => ({ status: "degraded", error: "circuit open" }),
        },
      ],
    });
    expect((await app.request("/healthz")).status).toBe(200);
    const ready = await app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      checks: { postgres: "up", providers: "degraded" },
    });
    expect(await (await app.request("/health/detailed")).json()).toMatchObject({ status: "degraded" });

    dbUp = false;
    expect((await app.request("/readyz")).status).toBe(503);
    const detailed = await app.request("/health/detailed");
    expect(detailed.status).toBe(503);
    const body = (await detailed.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string; responseMs: number }>;
    };
    expect(body.status).toBe("down");
    expect(body.checks.postgres).toMatchObject({ status: "down", error: "connect ECONNREFUSED 127.0.0.1:1" });
    expect(body.checks.postgres?.responseMs).toBeGreaterThanOrEqual(0);
  });

  it("serves the Prometheus text format on /metrics", async () => {
    const m = createAppMetrics("fanout");
    const res = await opsApp({ metrics: m, checks: [] }).request("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toContain('conclave_process_cpu_seconds_total{app="fanout"}');
  });
});
