import { jetstreamManager } from "@conclave/bus";
import { isStorableText } from "@conclave/subjects";
import type { z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeResponse, startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

// A body limit that lets a 100,000-level document through to the parser and the schemas.
const MAX_BODY_BYTES = 1024 * 1024;

let edge: TestEdge;
let user: TestEdgeUser;
let groupId: string;
let agentId: string;

beforeAll(async () => {
  edge = await startTestEdge({ MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
  user = await edge.register();
  const group = await edge.request("POST", "/v1/groups", {
    body: { name: "storable", agents: [{ name: "Ada" }] },
    token: user.token,
  });
  expect(group.status, JSON.stringify(group.body)).toBe(201);
  groupId = group.body.id as string;
  agentId = (group.body.agents as { id: string }[])[0]?.id ?? "";
});
afterAll(async () => {
  await edge?.stop();
});

const NUL = "\u0000";

function expectRefused(res: EdgeResponse, field: string | RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.type).toMatch(/^application\/problem\+json/);
  const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
  expect(
    paths.some((p) => (typeof field === "string" ? p === field : field.test(p))),
    paths.join(),
  ).toBe(true);
}

async function raw(method: string, path: string, body: string, type = "application/json") {
  const res = await edge.app.request(path, {
    method,
    headers: { authorization: `Bearer ${user.token}`, "content-type": type },
    body,
  });
  const t = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: JSON.parse(t) };
}

describe("a NUL character in text", () => {
  it("is a 400 naming the field, wherever text enters", async () => {
    const req = (method: string, path: string, body: unknown) =>
      edge.request(method, path, { body, token: user.token });
    expectRefused(await req("POST", "/v1/agents", { name: `A${NUL}da` }), "body.name");
    expectRefused(
      await req("POST", "/v1/agents", { name: "B", systemPrompt: `be${NUL}` }),
      "body.systemPrompt",
    );
    expectRefused(
      await req("POST", "/v1/agents", { name: "C", scripted: { replies: [`hi${NUL}`] } }),
      "body.scripted.replies.0",
    );
    expectRefused(
      await req("POST", "/v1/agents", {
        name: "D",
        scripted: { toolCalls: [{ name: "calculator", args: { [`k${NUL}`]: 1 } }] },
      }),
      /^body\.scripted\.toolCalls\.0\.args\./,
    );
    expectRefused(await req("PATCH", `/v1/agents/${agentId}`, { personality: NUL }), "body.personality");
    expectRefused(await req("POST", "/v1/groups", { name: `g${NUL}` }), "body.name");
    expectRefused(await req("PATCH", `/v1/groups/${groupId}`, { description: NUL }), "body.description");
    expectRefused(await req("POST", "/v1/api-keys", { name: `k${NUL}`, scopes: ["read"] }), "body.name");
    expectRefused(
      await req("POST", "/v1/agents/bulk", { operations: [{ op: "create", agent: { name: `E${NUL}` } }] }),
      "body.operations.0.agent.name",
    );
    expectRefused(await edge.request("GET", "/v1/agents?q=a%00", { token: user.token }), "query.q");
    expectRefused(
      await req("PUT", "/v1/provider-credentials/openai-compatible", {
        apiKey: "sk-12345678",
        baseUrl: `http://llm.example/v1${NUL}`,
      }),
      "body.baseUrl",
    );
  });

  it("as an unpaired surrogate (which jsonb refuses) is a 400 too", async () => {
    expectRefused(
      await raw("POST", "/v1/agents", '{"name":"S","scripted":{"replies":["x\\ud800"]}}'),
      "body.scripted.replies.0",
    );
    expectRefused(
      await raw("POST", `/v1/groups/${groupId}/messages`, '{"content":"hi \\udc00"}'),
      "body.content",
    );
  });

  it("in a message is a 400, and nothing is published (never a 202 for what cannot be stored)", async () => {
    const res = await edge.request("POST", `/v1/groups/${groupId}/messages`, {
      body: { content: `hello${NUL}world` },
      token: user.token,
    });
    expectRefused(res, "body.content");
    const named = await edge.request("POST", `/v1/groups/${groupId}/messages`, {
      body: { content: "hello", authorName: `x${NUL}` },
      token: user.token,
    });
    expectRefused(named, "body.authorName");
    const jsm = await jetstreamManager(edge.bus.nc);
    const info = await jsm.streams.info(edge.bus.names.stream("conv"), {
      subjects_filter: edge.bus.names.convSubject(groupId, "message.posted"),
    });
    expect(info.state.messages).toBe(0);
  });

  it("in a YAML import is a 400 naming the item, and in a CSV a 400 naming the line", async () => {
    const yaml = `conclave: 1\nagents:\n  - name: Ok\n  - name: "Bad\\0one"\n`;
    expectRefused(await raw("POST", "/v1/agents/import", yaml, "application/yaml"), "body.agents.1.name");
    const csv = await raw(
      "POST",
      `/v1/groups/${groupId}/files?name=a.csv`,
      `a,b\n1,2\n3,x${NUL}y\n`,
      "text/csv",
    );
    expect(csv.status, JSON.stringify(csv.body)).toBe(400);
    expect(csv.body.detail).toMatch(/line 3/);
  });
});

describe("deeply nested JSON", () => {
  const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  const agent = (args: string) =>
    `{"name":"Deep","scripted":{"toolCalls":[{"name":"calculator","args":{"a":${args}}}]}}`;

  it("in tool arguments is a 400 naming the field, at 33, 4,000 and 32,668 levels", async () => {
    for (const depth of [32, 4_000, 32_668]) {
      const res = await raw("POST", "/v1/agents", agent(deep(depth)));
      expectRefused(res, /^body\.scripted\.toolCalls\.0\.args\.a(\.0)*$/);
      expect(JSON.stringify(res.body)).toMatch(/nested deeper than 32 levels/);
    }
    const ok = await raw("POST", "/v1/agents", agent(deep(30)));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it("as a whole body of 100,000 levels is a 400, open or closed, never a crash or a 500", async () => {
    for (const body of [deep(100_000), "[".repeat(100_000), agent(deep(100_000))]) {
      const res = await raw("POST", "/v1/agents", body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
    }
    const yaml = await raw(
      "POST",
      "/v1/agents/import",
      `conclave: 1\nagents: ${deep(50_000)}\n`,
      "application/yaml",
    );
    expect(yaml.status, JSON.stringify(yaml.body)).toBe(400);
    const health = await edge.app.request("/healthz");
    expect(health.status).toBe(200);
  });
});

// zod 4 internals, read only to prove a property of every request schema.
type Def = { type: string; format?: string; checks?: { _zod: { def: Record<string, unknown> } }[] } & Record<
  string,
  unknown
>;
const defOf = (s: unknown) => (s as { _zod: { def: Def } })._zod.def;
// Formats whose syntax has no room for a NUL (a URL has: `http://a.com/x\u0000y` passes `z.url()`).
const FORMATS = new Set(["uuid", "guid", "email", "datetime", "date", "time", "base64", "base64url"]);
// A regex made only of explicit classes (no negation, no dot, no \S \W \D \P) cannot match a NUL.
const excludesNul = (re: RegExp) => !/\[\^|\.|\\[SWDP]/.test(re.source.replace(/\\\./g, ""));

/** Every string (and free-form value) a request schema accepts, with whether it refuses NUL. */
function unguarded(schema: unknown, path: string, out: string[]): void {
  const def = defOf(schema);
  const inner = (s: unknown, p = path): void => unguarded(s, p, out);
  switch (def.type) {
    case "string": {
      const checks = (def.checks ?? []).map((c) => c._zod.def);
      const ok =
        (def.format !== undefined && FORMATS.has(def.format)) ||
        checks.some((c) => c.fn === isStorableText) ||
        checks.some((c) => c.format === "regex" && excludesNul(c.pattern as RegExp));
      if (!ok) out.push(path);
      return;
    }
    case "object":
      for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) inner(v, `${path}.${k}`);
      return;
    case "array":
      inner(def.element, `${path}[]`);
      return;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      inner(def.innerType);
      return;
    case "pipe":
      inner(def.in);
      inner(def.out);
      return;
    case "union":
      for (const o of def.options as unknown[]) inner(o);
      return;
    case "intersection":
      inner(def.left);
      inner(def.right);
      return;
    case "record":
      // A free-form record is fine only under a check of its own (jsonObject walks it whole).
      if (["unknown", "any"].includes(defOf(def.valueType).type)) {
        if ((def.checks ?? []).length === 0) out.push(`${path}{}`);
        return;
      }
      inner(def.keyType, `${path}{key}`);
      inner(def.valueType, `${path}{}`);
      return;
    case "unknown":
    case "any":
      out.push(path);
      return;
    default:
      return;
  }
}

describe("every request schema of the edge", () => {
  it("refuses NUL in every string it accepts (body, query, path, headers)", () => {
    const out: string[] = [];
    let routes = 0;
    for (const d of edge.app.openAPIRegistry.definitions) {
      if (d.type !== "route") continue;
      routes++;
      const name = `${d.route.method} ${d.route.path}`;
      const r = d.route.request ?? {};
      for (const [part, schema] of [
        ["query", r.query],
        ["path", r.params],
        ["header", r.headers],
      ] as const)
        if (schema) unguarded(schema, `${name} ${part}`, out);
      for (const [type, media] of Object.entries(r.body?.content ?? {})) {
        // The CSV body is read as bytes and checked by the upload itself.
        if (type === "text/csv" || !media || !("schema" in media)) continue;
        unguarded(media.schema as z.ZodType, `${name} body(${type})`, out);
      }
    }
    expect(routes).toBeGreaterThan(40);
    expect(out).toEqual([]);
  });
});
