import { ReadableStream } from "node:stream/web";
import { type Frame, startSystem, type TestSystem, waitForHistory, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
});

async function createGroup(agents: object[]) {
  const res = await sys.post("/v1/groups", { name: "e2e", agents });
  expect(res.status).toBe(201);
  return res.body as { id: string; agents: { id: string; name: string }[] };
}

const auth = () => ({ authorization: `Bearer ${sys.user.accessToken}` });
const types = (frames: Frame[]) => frames.map((f) => f.event?.type);

describe("the pipeline, every app its own process", () => {
  it("relays a posted message, each agent's reply and the turn's end, in order, and records them", async () => {
    const group = await createGroup([
      { name: "Ada", scripted: { replies: ["I am Ada"] } },
      { name: "Grace", scripted: { echo: true } },
    ]);
    const client = await sys.openStream();
    await client.subscribe(group.id, 0);
    const posted = await sys.post(`/v1/groups/${group.id}/messages`, {
      content: "hello agents",
      authorName: "Lin",
    });
    expect(posted.status).toBe(202);
    const { messageId, turnId, seq } = posted.body as { messageId: string; turnId: string; seq: number };
    expect(seq).toBeGreaterThan(0);

    await client.waitFor("turn.completed", (f) => f.event?.type === "turn.completed");
    const frames = client.events(group.id);
    expect(types(frames)).toEqual([
      "message.posted",
      "turn.started",
      expect.any(String),
      expect.any(String),
      "turn.completed",
    ]);
    expect(types(frames.slice(2, 4)).sort()).toEqual(["agent.replied", "agent.replied"]);
    expect(frames[0]?.seq).toBe(seq);
    expect(frames[0]?.event?.id).toBe(messageId);
    expect(frames.every((f) => f.event?.turnId === turnId)).toBe(true);
    const seqs = frames.map((f) => f.seq ?? 0);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const replies = frames
      .filter((f) => f.event?.type === "agent.replied")
      .map((f) => f.event?.payload.content);
    expect(replies.sort()).toEqual(["I am Ada", "hello agents"]);

    const history = (await waitForHistory(sys, group.id, 3)) as {
      id: string;
      seq: number;
      type: string;
      content: string;
    }[];
    const fromSocket = frames.filter(
      (f) => f.event?.type === "message.posted" || f.event?.type === "agent.replied",
    );
    expect(history.map((m) => [m.id, m.seq, m.type])).toEqual(
      fromSocket.map((f) => [f.event?.id, f.seq, f.event?.type]),
    );

    const turn = await waitUntil("the turn to be recorded as completed", async () => {
      const res = await sys.get(`/v1/groups/${group.id}/turns/${turnId}`);
      return res.body.status === "completed" ? res.body : undefined;
    });
    expect(turn.messageId).toBe(messageId);
    await client.close();
  });

  it("sends each socket only the groups it subscribed to", async () => {
    const a = await createGroup([{ name: "A" }]);
    const b = await createGroup([{ name: "B" }]);
    const client = await sys.openStream();
    await client.subscribe(a.id, 0);
    await sys.post(`/v1/groups/${b.id}/messages`, { content: "to b" });
    await sys.post(`/v1/groups/${a.id}/messages`, { content: "to a" });
    await client.waitFor("a's turn to end", (f) => f.event?.type === "turn.completed");
    expect(client.events().every((f) => f.groupId === a.id)).toBe(true);
    expect(
      client
        .events()
        .map((f) => f.event?.payload.content)
        .filter(Boolean),
    ).toEqual(["to a", "A heard: to a"]);
    await client.close();
  });

  it("resumes a socket that dropped mid-turn with no gap and no duplicate", async () => {
    const group = await createGroup([
      { name: "Slow", scripted: { delayMs: 400 } },
      { name: "Slower", scripted: { delayMs: 800 } },
    ]);
    const witness = await sys.openStream();
    await witness.subscribe(group.id, 0);
    const first = await sys.openStream();
    await first.subscribe(group.id, 0);
    await sys.post(`/v1/groups/${group.id}/messages`, { content: "take your time" });
    await first.waitFor("turn.started", (f) => f.event?.type === "turn.started");
    await first.close();
    // A busy machine may deliver a reply before the close: resume after whatever was seen last.
    const seen = first.events(group.id);
    const last = seen.at(-1);

    // Events land while nobody listens on this connection, then it comes back with its last seq.
    await witness.waitFor("first reply", (f) => f.event?.type === "agent.replied");
    const again = await sys.openStream();
    await again.subscribe(group.id, last?.seq ?? 0);
    if (!seen.some((f) => f.event?.type === "turn.completed"))
      await again.waitFor("turn end", (f) => f.event?.type === "turn.completed");
    await witness.waitFor("turn end", (f) => f.event?.type === "turn.completed");

    const resumed = [...seen, ...again.events(group.id)].map((f) => [f.seq, f.event?.id]);
    const reference = witness.events(group.id).map((f) => [f.seq, f.event?.id]);
    expect(resumed).toEqual(reference);
    expect(reference.map((r) => r[1])).toHaveLength(new Set(reference.map((r) => r[1])).size);
    await again.close();
    await witness.close();
  });

  it("answers a retried post with an idempotency key with the same ids, and publishes once", async () => {
    const group = await createGroup([{ name: "Once" }]);
    const post = () =>
      fetch(`${sys.edgeUrl}/v1/groups/${group.id}/messages`, {
        method: "POST",
        headers: { ...auth(), "content-type": "application/json", "idempotency-key": "retry-42" },
        body: JSON.stringify({ content: "exactly once" }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const first = await post();
    const second = await post();
    expect(first.status).toBe(202);
    expect(second).toEqual(first);
    const bad = await fetch(`${sys.edgeUrl}/v1/groups/${group.id}/messages`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json", "idempotency-key": "no spaces*" },
      body: JSON.stringify({ content: "x" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe(
      "header.idempotency-key",
    );
    const history = (await waitForHistory(sys, group.id, 2)) as { type: string }[];
    expect(history.filter((m) => m.type === "message.posted")).toHaveLength(1);
  });

  it("answers bad input with problem+json naming the field, and publishes nothing", async () => {
    const group = await createGroup([{ name: "Quiet" }]);
    const client = await sys.openStream();
    await client.subscribe(group.id, 0);
    const url = (id: string) => `${sys.edgeUrl}/v1/groups/${id}/messages`;
    const cases: {
      name: string;
      url: string;
      body: string;
      headers?: Record<string, string>;
      status: number;
      field?: string;
    }[] = [
      { name: "invalid JSON", url: url(group.id), body: "{not json", status: 400, field: "body" },
      {
        name: "wrong type",
        url: url(group.id),
        body: JSON.stringify({ content: 42 }),
        status: 400,
        field: "body.content",
      },
      {
        name: "missing field",
        url: url(group.id),
        body: JSON.stringify({}),
        status: 400,
        field: "body.content",
      },
      {
        name: "unknown field",
        url: url(group.id),
        body: JSON.stringify({ content: "x", admin: true }),
        status: 400,
        field: "body",
      },
      {
        name: "empty content",
        url: url(group.id),
        body: JSON.stringify({ content: "   " }),
        status: 400,
        field: "body.content",
      },
      {
        name: "too long content",
        url: url(group.id),
        body: JSON.stringify({ content: "x".repeat(16_001) }),
        status: 400,
        field: "body.content",
      },
      {
        name: "wildcard in id",
        url: url("*"),
        body: JSON.stringify({ content: "x" }),
        status: 400,
        field: "path.groupId",
      },
      {
        name: "subject token in id",
        url: url("a.b.>"),
        body: JSON.stringify({ content: "x" }),
        status: 400,
        field: "path.groupId",
      },
      {
        name: "unknown group",
        url: url("0190f0f0-0000-7000-8000-000000000000"),
        body: JSON.stringify({ content: "x" }),
        status: 404,
      },
      {
        name: "body over the limit",
        url: url(group.id),
        body: JSON.stringify({ content: "x".repeat(70_000) }),
        status: 413,
      },
      {
        name: "not JSON content type",
        url: url(group.id),
        body: "content=x",
        headers: { "content-type": "text/plain" },
        status: 400,
        field: "content-type",
      },
    ];
    for (const c of cases) {
      const res = await fetch(c.url, {
        method: "POST",
        headers: { ...auth(), ...(c.headers ?? { "content-type": "application/json" }) },
        body: c.body,
      });
      expect(res.status, c.name).toBe(c.status);
      expect(res.headers.get("content-type"), c.name).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { status: number; errors?: { path: string }[] };
      expect(problem.status, c.name).toBe(c.status);
      if (c.field)
        expect(
          problem.errors?.map((e) => e.path),
          c.name,
        ).toContain(c.field);
    }
    // A chunked body (no Content-Length) over the limit is refused too.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 80; i++)
          controller.enqueue(
            new TextEncoder().encode(i === 0 ? `{"content":"${"x".repeat(1000)}` : "x".repeat(1000)),
          );
        controller.enqueue(new TextEncoder().encode(`"}`));
        controller.close();
      },
    });
    const chunked = await fetch(url(group.id), {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);

    // A valid post afterwards is the first and only event of the group.
    const ok = await sys.post(`/v1/groups/${group.id}/messages`, { content: "only this" });
    expect(ok.status).toBe(202);
    await client.waitFor("the valid message", (f) => f.event?.type === "message.posted");
    expect(client.events(group.id)[0]?.event?.payload.content).toBe("only this");
    await client.close();
  });
});
