import { newEventId } from "@conclave/subjects";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

let edge: TestEdge;
let user: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge();
  user = await edge.register();
});
afterAll(async () => {
  await edge?.stop();
});

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

async function call(method: string, path: string, token?: string) {
  const res = await edge.app.request(path, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    status: res.status,
    allow: res.headers.get("allow"),
    type: res.headers.get("content-type"),
    body: await res.text(),
  };
}

describe("a request no route matches", () => {
  it("answers 405 with Allow for a known path under another method", async () => {
    const res = await call("DELETE", "/v1/auth/login");
    expect(res.status).toBe(405);
    expect(res.allow).toBe("POST");
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 405, title: "method not allowed" });
    const health = await call("POST", "/healthz");
    expect(health.status).toBe(405);
    expect(health.allow).toBe("GET, HEAD");
  });

  it("answers 405 for every documented path under every undocumented method (signed in)", async () => {
    const doc = edge.app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const paths = Object.entries(doc.paths ?? {});
    const templates = paths.map(([path, item]) => ({
      re: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
      methods: METHODS.filter((m) => item[m]),
    }));
    let checked = 0;
    for (const [path] of paths) {
      const url = path.replace(/\{[^}]+\}/g, newEventId());
      // A fixed path (`/v1/agents/export`) also matches its sibling template (`/v1/agents/{id}`).
      const routed = new Set(templates.filter((t) => t.re.test(url)).flatMap((t) => t.methods));
      const expected = [...[...routed].map((m) => m.toUpperCase()), ...(routed.has("get") ? ["HEAD"] : [])]
        .sort()
        .join(", ");
      for (const m of METHODS.filter((x) => !routed.has(x))) {
        const res = await call(m.toUpperCase(), url, user.token);
        expect(res.status, `${m} ${path}`).toBe(405);
        expect(res.allow, `${m} ${path}`).toBe(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("still answers 404 for a path no route has", async () => {
    const res = await call("GET", "/v1/nothing-here", user.token);
    expect(res.status).toBe(404);
    expect(res.allow).toBeNull();
    expect(res.type).toMatch(/^application\/problem\+json/);
  });
});
