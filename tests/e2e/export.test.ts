import {
  freePort,
  readGroupEvents,
  startSystem,
  type TestSystem,
  type TestUser,
  waitUntil,
} from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Exports end to end: a group after two turns, as NDJSON read line by line and as one JSON
// document, holds the same events (count, ids, seqs, order) as its replay, its agents without any
// secret, its members, memory and LLM calls; owners only; the JSON format refuses what is too large.

const CREDENTIAL = "sk-test-credential-that-must-never-leave-0123456789";
let sys: TestSystem;
let owner: TestUser;
let coOwner: TestUser;
let member: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let groupId = "";
let foreignAgentId = "";
let apiKeySecret = "";

interface Rec {
  kind: string;
  groupId?: string;
  [k: string]: unknown;
}

async function exported(path: string, token = owner.accessToken) {
  const res = await fetch(`${sys.edgeUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const records = res.status === 200 && !path.includes("format=json") ? ndjson(text) : [];
  return { status: res.status, headers: res.headers, text, records };
}

function ndjson(text: string): Rec[] {
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((l) => JSON.parse(l) as Rec);
}

const replayed = async () => {
  const res = await fetch(`${sys.edgeUrl}/v1/groups/${groupId}/replay`, {
    headers: { authorization: `Bearer ${owner.accessToken}` },
  });
  return (await res.text())
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { seq: number; event: { id: string; type: string } });
};

beforeAll(async () => {
  sys = await startSystem();
  owner = sys.user;
  [coOwner, member, viewer, outsider] = [
    await sys.register(),
    await sys.register(),
    await sys.register(),
    await sys.register(),
  ];
  expect(
    (await sys.request("PUT", "/v1/provider-credentials/anthropic", { body: { apiKey: CREDENTIAL } })).status,
  ).toBeLessThan(300);
  apiKeySecret = (await sys.post("/v1/api-keys", { name: "exporter", scopes: ["read"] })).body.key as string;
  const created = await sys.post("/v1/groups", {
    name: "exported",
    agents: [
      { name: "Ada", systemPrompt: "You are Ada.", scripted: { replies: ["A0", "A1"] } },
      { name: "Bob", scripted: { replies: ["B0", "B1"] } },
    ],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  groupId = created.body.id as string;
  for (const [who, role] of [
    [coOwner, "owner"],
    [member, "member"],
    [viewer, "viewer"],
  ] as const)
    expect((await sys.post(`/v1/groups/${groupId}/members`, { email: who.email, role })).status).toBe(201);
  // Another owner's agent sits in the group: its definition is not the first owner's to export.
  const agent = await sys.post(
    "/v1/agents",
    { name: "Cy", systemPrompt: "Cy's private prompt", scripted: { replies: ["C0"] } },
    coOwner.accessToken,
  );
  expect(agent.status, JSON.stringify(agent.body)).toBe(201);
  foreignAgentId = agent.body.id as string;
  const seated = await sys.post(
    `/v1/groups/${groupId}/agents`,
    { agentId: foreignAgentId },
    coOwner.accessToken,
  );
  expect(seated.status, JSON.stringify(seated.body)).toBe(201);
  expect(
    (
      await sys.request("PUT", `/v1/groups/${groupId}/memory/blocks/facts`, {
        body: { value: "The sky is blue." },
      })
    ).status,
  ).toBeLessThan(300);
  for (const content of ["first question", "second question"]) {
    const posted = await sys.post(`/v1/groups/${groupId}/messages?wait=30`, { content });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
  }
  // The read model trails the stream: wait for every event, and every LLM call, to be recorded.
  const stream = await readGroupEvents(sys.bus, groupId);
  const replies = stream.filter((e) => e.type === "agent.replied").length;
  expect(replies).toBe(6);
  await waitUntil("the turns and calls to be recorded", async () => {
    if ((await replayed()).length !== stream.length) return false;
    const { records } = await exported(`/v1/groups/${groupId}/export`);
    return records.filter((r) => r.kind === "llm_call").length === replies;
  });
}, 180_000);
afterAll(async () => {
  await sys?.stop();
});

describe("exporting a group", () => {
  it("streams NDJSON: a header, the group, its agents without secrets, members, memory, every event as replayed, its LLM calls, an end", async () => {
    const res = await exported(`/v1/groups/${groupId}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get("content-length")).toBeNull();
    const { records } = res;
    expect(records[0]).toMatchObject({
      kind: "header",
      format: "conclave-export",
      version: 1,
      scope: "group",
      id: groupId,
    });
    const end = records.at(-1) as Rec;
    expect(end.kind).toBe("end");
    const kinds = records.map((r) => r.kind);
    const counts: Record<string, number> = {};
    for (const k of kinds.slice(1, -1)) counts[k] = (counts[k] ?? 0) + 1;
    expect(end.counts).toEqual(counts);
    // The records come in the documented order.
    const order = [
      "header",
      "group",
      "seat",
      "member",
      "file",
      "memory",
      "summary",
      "vote",
      "event",
      "llm_call",
      "end",
    ];
    const ranks = kinds.map((k) => order.indexOf(k));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));

    const replay = await replayed();
    const events = records.filter((r) => r.kind === "event") as unknown as {
      seq: number;
      event: { id: string };
    }[];
    expect(events).toHaveLength(replay.length);
    expect(events.map((e) => `${e.seq} ${e.event.id}`)).toEqual(replay.map((l) => `${l.seq} ${l.event.id}`));
    expect((records[1] as Rec).throughSeq).toBe(replay.at(-1)?.seq);

    const seats = records.filter((r) => r.kind === "seat");
    expect(seats.map((s) => s.name)).toEqual(["Ada", "Bob", "Cy"]);
    expect(seats[0]?.definition).toMatchObject({
      name: "Ada",
      systemPrompt: "You are Ada.",
      provider: "scripted",
    });
    expect(seats.find((s) => s.name === "Cy")).toMatchObject({ agentId: foreignAgentId, definition: null });
    const members = records.filter((r) => r.kind === "member");
    expect(members.map((m) => [m.email, m.role])).toEqual([
      [owner.email, "owner"],
      [coOwner.email, "owner"],
      [member.email, "member"],
      [viewer.email, "viewer"],
    ]);
    const memory = records.find((r) => r.kind === "memory") as Rec & {
      blocks: { label: string; value: string }[];
    };
    expect(memory.blocks).toEqual([expect.objectContaining({ label: "facts", value: "The sky is blue." })]);
    const calls = records.filter((r) => r.kind === "llm_call") as (Rec & { prompt: { system: string } })[];
    expect(calls).toHaveLength(6);
    expect(calls.every((c) => c.groupId === groupId && typeof c.prompt.system === "string")).toBe(true);
    // No secret of any kind: no credential, no key, no hash, no Cy's prompt outside the group's record of its calls.
    expect(res.text).not.toContain(CREDENTIAL);
    expect(res.text).not.toContain(apiKeySecret);
    expect(res.text).not.toMatch(/passwordHash|keyHash|secretEncrypted|\$argon2/);
    expect(JSON.stringify(seats)).not.toContain("Cy's private prompt");
  });

  it("gives the same content as one JSON document", async () => {
    const [stream, doc] = await Promise.all([
      exported(`/v1/groups/${groupId}/export?format=ndjson`),
      exported(`/v1/groups/${groupId}/export?format=json`),
    ]);
    expect(doc.status).toBe(200);
    expect(doc.headers.get("content-type")).toMatch(/^application\/json/);
    const body = JSON.parse(doc.text) as Record<string, unknown> & {
      events: { seq: number; event: { id: string } }[];
      seats: unknown[];
      members: unknown[];
      llmCalls: unknown[];
      group: { id: string };
    };
    expect(body).toMatchObject({
      format: "conclave-export",
      version: 1,
      scope: "group",
      group: { id: groupId },
    });
    const lines = stream.records.filter((r) => r.kind === "event") as unknown as {
      seq: number;
      event: { id: string };
    }[];
    expect(body.events.map((e) => e.event.id)).toEqual(lines.map((l) => l.event.id));
    expect(body.seats).toHaveLength(3);
    expect(body.members).toHaveLength(4);
    expect(body.llmCalls).toHaveLength(6);
    expect(doc.text).not.toContain(CREDENTIAL);
  });

  it("is the owners': a read-scoped key may, a member and a viewer get 403, an outsider and an unknown group 404", async () => {
    expect((await exported(`/v1/groups/${groupId}/export`, apiKeySecret)).status).toBe(200);
    const co = await exported(`/v1/groups/${groupId}/export`, coOwner.accessToken);
    expect(co.status).toBe(200);
    // To the other owner, the first owner's agents are the foreign ones.
    const coSeats = co.records.filter((r) => r.kind === "seat");
    expect(coSeats.find((s) => s.name === "Ada")?.definition).toBeNull();
    expect(coSeats.find((s) => s.name === "Cy")?.definition).toMatchObject({
      systemPrompt: "Cy's private prompt",
    });
    for (const [who, want] of [
      [member, 403],
      [viewer, 403],
      [outsider, 404],
    ] as const) {
      const res = await exported(`/v1/groups/${groupId}/export`, who.accessToken);
      expect(res.status, who.email).toBe(want);
      expect(res.headers.get("content-type")).toMatch(/problem\+json/);
      expect(res.text).not.toContain("first question");
    }
    const unknown = await exported("/v1/groups/00000000-0000-7000-8000-000000000000/export");
    expect(unknown.status).toBe(404);
    const bad = await sys.get(`/v1/groups/${groupId}/export?format=xml`);
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path)).toEqual(["query.format"]);
  });

  it("refuses a JSON export over the configured limit with a problem pointing to NDJSON, which still answers", async () => {
    const port = await freePort();
    const edge = await sys.spawn("edge", { EDGE_PORT: String(port), EXPORT_JSON_MAX_EVENTS: "5" });
    try {
      const at = (format: string) =>
        fetch(`http://127.0.0.1:${port}/v1/groups/${groupId}/export?format=${format}`, {
          headers: { authorization: `Bearer ${owner.accessToken}` },
        });
      const refused = await at("json");
      expect(refused.status).toBe(400);
      expect(refused.headers.get("content-type")).toMatch(/problem\+json/);
      const problem = (await refused.json()) as {
        detail: string;
        errors: { path: string; message: string }[];
      };
      expect(problem.errors.map((e) => e.path)).toEqual(["query.format"]);
      expect(problem.detail).toMatch(/use format=ndjson/);
      const streamed = await at("ndjson");
      expect(streamed.status).toBe(200);
      expect(ndjson(await streamed.text()).at(-1)?.kind).toBe("end");
    } finally {
      await edge.stop();
    }
  });
});

describe("exporting an account", () => {
  it("holds the account without its password, its agents, its keys' metadata without secrets, and the groups it owns", async () => {
    const res = await exported("/v1/me/export");
    expect(res.status).toBe(200);
    const { records } = res;
    expect(records[0]).toMatchObject({ kind: "header", scope: "account", id: owner.accountId });
    expect(records.at(-1)?.kind).toBe("end");
    expect(records.find((r) => r.kind === "account")).toMatchObject({
      id: owner.accountId,
      email: owner.email,
    });
    expect(
      records
        .filter((r) => r.kind === "agent")
        .map((a) => a.name)
        .sort(),
    ).toEqual(["Ada", "Bob"]);
    const keys = records.filter((r) => r.kind === "api_key");
    expect(keys.map((k) => k.name)).toContain("exporter");
    expect(keys.every((k) => typeof k.prefix === "string" && !("key" in k))).toBe(true);
    expect(records.filter((r) => r.kind === "group").map((g) => g.id)).toContain(groupId);
    const events = records.filter((r) => r.kind === "event" && r.groupId === groupId);
    expect(events).toHaveLength((await replayed()).length);
    expect(res.text).not.toContain(CREDENTIAL);
    expect(res.text).not.toContain(apiKeySecret);
    expect(res.text).not.toMatch(/passwordHash|keyHash|secretEncrypted|\$argon2/);
  });

  it("holds no group the account does not own, and wants the admin scope from an API key", async () => {
    const mine = await exported("/v1/me/export", member.accessToken);
    expect(mine.status).toBe(200);
    expect(mine.records.filter((r) => r.kind === "group")).toEqual([]);
    expect(mine.text).not.toContain("first question");
    expect((await exported("/v1/me/export", apiKeySecret)).status).toBe(403);
    const doc = await exported("/v1/me/export?format=json");
    expect(doc.status).toBe(200);
    const body = JSON.parse(doc.text) as {
      scope: string;
      account: { id: string };
      groups: { group: { id: string } }[];
    };
    expect(body.scope).toBe("account");
    expect(body.account.id).toBe(owner.accountId);
    expect(body.groups.map((g) => g.group.id)).toContain(groupId);
  });
});
