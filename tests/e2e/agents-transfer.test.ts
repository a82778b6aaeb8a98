import { newEventId } from "@conclave/subjects";
import { type Response, startSystem, type TestSystem, type TestUser } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({
    envFor: {
      edge: { MAX_AGENTS_PER_ACCOUNT: "12" },
      // An endpoint (never called here): agents of openai-compatible need an executor that has one.
      executor: { OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:9/v1" },
    },
  });
});
afterAll(async () => {
  await sys?.stop();
});

const paths = (res: Response) =>
  ((res.body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path);

async function exportYaml(
  user: TestUser,
  query = "",
): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${sys.edgeUrl}/v1/agents/export${query}`, {
    headers: { authorization: `Bearer ${user.accessToken}` },
  });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

async function importYaml(user: TestUser, body: string, type = "application/yaml"): Promise<Response> {
  const res = await fetch(`${sys.edgeUrl}/v1/agents/import`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": type },
    body,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function counts(user: TestUser) {
  const agents = (await sys.get("/v1/agents?limit=200", user.accessToken)).body.items as unknown[];
  const groups = (await sys.get("/v1/groups?limit=500", user.accessToken)).body.items as unknown[];
  return { agents: agents.length, groups: groups.length };
}

const strip = (a: Record<string, unknown>) => {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = a;
  return rest;
};

describe("YAML export and import", () => {
  it("round-trips a group and its agents exactly", async () => {
    const author = await sys.register();
    const ada = (
      await sys.post(
        "/v1/agents",
        {
          name: "Ada",
          description: 'the analyst: "quotes", colons: and # hashes',
          provider: "openai-compatible",
          model: "local-1",
          temperature: 0.35,
          maxTokens: 1024,
          personality: "dry wit",
          systemPrompt: "Line one.\n  Indented line two.\n\nAfter a blank line: ünïcødé ✓\n",
          tools: ["calculator", "dataset"],
          limits: { maxToolCalls: 3, timeoutMs: 30_000, maxReplyChars: 4000 },
          enabled: false,
          scripted: {
            replies: ["true", "null", "42", "- not a list"],
            toolCalls: [{ name: "calculator", args: { expr: "1+1", n: [1, { x: null }] } }],
          },
        },
        author.accessToken,
      )
    ).body as { id: string };
    const group = (
      await sys.post(
        "/v1/groups",
        {
          name: "Council: round 1",
          description: "multi\nline",
          strategy: "debate_vote",
          settings: {
            turnLimits: { maxRounds: 3, turnTimeoutMs: 90_000 },
            concurrentInput: "interrupt",
            retentionDays: 90,
          },
          agents: [{ name: "Grace", scripted: { echo: true, delayMs: 5 } }],
          agentIds: [ada.id],
        },
        author.accessToken,
      )
    ).body as { id: string };

    const first = await exportYaml(author, `?groupId=${group.id}`);
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/^application\/yaml/);
    expect(first.text).not.toContain(ada.id);
    const doc = parse(first.text) as {
      conclave: number;
      agents: { name: string }[];
      group: { agents: string[] };
    };
    expect(doc.conclave).toBe(1);
    expect(doc.group.agents).toEqual(["Grace", "Ada"]);

    const importer = await sys.register();
    const imported = await importYaml(importer, first.text);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const created = imported.body as { agents: { id: string; name: string }[]; group: { id: string } };
    expect(created.agents.map((a) => a.name)).toEqual(["Grace", "Ada"]);
    const second = await exportYaml(importer, `?groupId=${created.group.id}`);
    expect(second.text).toBe(first.text);

    const original = (await sys.get(`/v1/agents/${ada.id}`, author.accessToken)).body;
    const copy = (await sys.get(`/v1/agents/${created.agents[1]?.id}`, importer.accessToken)).body;
    expect(strip(copy)).toEqual(strip(original));
    const [g1, g2] = await Promise.all([
      sys.get(`/v1/groups/${group.id}`, author.accessToken),
      sys.get(`/v1/groups/${created.group.id}`, importer.accessToken),
    ]);
    for (const k of ["name", "description", "strategy", "settings"]) expect(g2.body[k]).toEqual(g1.body[k]);
  });

  it("exports all of the caller's agents, or those asked for in the order asked", async () => {
    const user = await sys.register();
    const ids: string[] = [];
    for (const name of ["One", "Two", "Three"])
      ids.push((await sys.post("/v1/agents", { name }, user.accessToken)).body.id as string);
    const all = parse((await exportYaml(user)).text) as { agents: { name: string }[]; group?: unknown };
    expect(all.agents.map((a) => a.name)).toEqual(["One", "Two", "Three"]);
    expect(all.group).toBeUndefined();
    const some = parse((await exportYaml(user, `?ids=${ids[2]},${ids[0]}`)).text) as {
      agents: { name: string }[];
    };
    expect(some.agents.map((a) => a.name)).toEqual(["Three", "One"]);
  });

  it("exports nothing that is not the caller's", async () => {
    const owner = await sys.register();
    const partner = await sys.register();
    const stranger = await sys.register();
    const mine = (await sys.post("/v1/agents", { name: "Mine" }, owner.accessToken)).body.id as string;
    const group = (await sys.post("/v1/groups", { name: "shared", agentIds: [mine] }, owner.accessToken)).body
      .id as string;
    await sys.post(`/v1/groups/${group}/members`, { email: partner.email, role: "owner" }, owner.accessToken);
    const theirs = (await sys.post("/v1/agents", { name: "Theirs" }, partner.accessToken)).body.id as string;
    expect((await exportYaml(owner, `?groupId=${group}`)).status).toBe(200);
    await sys.post(`/v1/groups/${group}/agents`, { agentId: theirs }, partner.accessToken);
    expect((await exportYaml(owner, `?groupId=${group}`)).status).toBe(403);
    expect((await exportYaml(stranger, `?groupId=${group}`)).status).toBe(404);
    const foreign = await exportYaml(owner, `?ids=${mine},${theirs}`);
    expect(foreign.status).toBe(404);
    expect(JSON.parse(foreign.text).errors[0].path).toBe("query.ids");
    expect((await exportYaml(owner, `?ids=${mine}&groupId=${group}`)).status).toBe(400);
    expect(JSON.parse((await exportYaml(owner, "?ids=nope")).text).errors[0].path).toBe("query.ids");
  });

  it("refuses a document with one bad agent, names every issue, and changes nothing", async () => {
    const user = await sys.register();
    await sys.post("/v1/agents", { name: "Existing" }, user.accessToken);
    const before = await counts(user);
    const bad = [
      "conclave: 1",
      "agents:",
      "  - name: Good",
      "  - name: Broken",
      "    temperature: 7",
      "  - name: good",
      "  - name: Fine",
      "    provider: anthropic",
      "group:",
      "  name: Imported",
      "  agents: [Good, Ghost]",
      "",
    ].join("\n");
    const res = await importYaml(user, bad);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/problem\+json/);
    expect(paths(res)).toEqual(expect.arrayContaining(["body.agents.1.temperature", "body.agents.3.model"]));
    // Once the shape is right, the cross-checks name their fields too.
    const fixed = bad
      .replace("temperature: 7", "temperature: 0.7")
      .replace("provider: anthropic", "provider: scripted");
    const res2 = await importYaml(user, fixed);
    expect(res2.status).toBe(400);
    expect(paths(res2).sort()).toEqual(["body.agents.2.name", "body.group.agents.1"]);
    expect(await counts(user)).toEqual(before);
  });

  it("refuses a document over the account's agent limit as a whole", async () => {
    const user = await sys.register();
    const agents = Array.from({ length: 13 }, (_, i) => `  - name: Agent ${i}`).join("\n");
    const res = await importYaml(user, `conclave: 1\nagents:\n${agents}\ngroup:\n  name: Big\n`);
    expect(res.status).toBe(409);
    expect(await counts(user)).toEqual({ agents: 0, groups: 0 });
  });

  it("names syntax errors, duplicate keys, a wrong version and a wrong content type", async () => {
    const user = await sys.register();
    const syntax = await importYaml(user, "conclave: 1\nagents:\n  - name: [unclosed\n");
    expect(syntax.status).toBe(400);
    expect(paths(syntax)).toContain("body");
    expect(JSON.stringify(syntax.body)).toMatch(/line \d/);
    expect((await importYaml(user, "conclave: 1\nconclave: 1\n")).status).toBe(400);
    expect(paths(await importYaml(user, "conclave: 2\nagents: []\n"))).toEqual(["body.conclave"]);
    expect(paths(await importYaml(user, "agents: []\n", "text/plain"))).toEqual(["content-type"]);
    expect(paths(await importYaml(user, "- just\n- a list\n"))).toEqual(["body"]);
    const asJson = await importYaml(
      user,
      JSON.stringify({ conclave: 1, agents: [{ name: "Jason" }] }),
      "application/json",
    );
    expect(asJson.status).toBe(201);
    expect((await importYaml(user, `conclave: 1\nagents:\n  - name: ${"x".repeat(70_000)}\n`)).status).toBe(
      413,
    );
    expect((await sys.get(`/v1/agents/${newEventId()}`, user.accessToken)).status).toBe(404);
  });
});
