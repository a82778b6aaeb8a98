import { randomUUID } from "node:crypto";
import { type BaseEvent, HttpAgent } from "@ag-ui/client";
import { EventSchemas } from "@ag-ui/core/schemas";
import { jetstreamManager } from "@conclave/bus";
import { names } from "@conclave/subjects";
import { startSystem, type TestSystem, uniqueNamespace, waitForHistory, waitUntil } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The AG-UI endpoint, driven by the public AG-UI client: its HttpAgent parses every event with
// @ag-ui/core's schemas and verifies their order (a verification error rejects the run).
const ns = uniqueNamespace();
const n = names(ns);
let sys: TestSystem;
let sql: postgres.Sql;

beforeAll(async () => {
  sys = await startSystem({ ns });
  sql = postgres(sys.db.url, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
});

interface Group {
  id: string;
  agents: { id: string; name: string }[];
}
async function group(strategy: string, agents: object[], settings: object = {}): Promise<Group> {
  const res = await sys.post("/v1/groups", {
    name: `${strategy}-${randomUUID()}`,
    strategy,
    agents,
    settings,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const got = await sys.get(`/v1/groups/${res.body.id as string}`);
  return { id: res.body.id as string, agents: got.body.agents as Group["agents"] };
}

const url = (groupId: string) => `${sys.edgeUrl}/v1/groups/${groupId}/agui`;
const input = (groupId: string, content: string, runId = randomUUID()) => ({
  threadId: groupId,
  runId,
  state: {},
  tools: [],
  context: [],
  forwardedProps: {},
  messages: [{ id: randomUUID(), role: "user", content }],
});

/** A run through the client's HttpAgent; every event it received, after its verification. */
async function runWithClient(groupId: string, content: string) {
  const agent = new HttpAgent({
    url: url(groupId),
    headers: { authorization: `Bearer ${sys.user.accessToken}` },
    threadId: groupId,
    initialMessages: [{ id: randomUUID(), role: "user", content }],
  });
  const events: BaseEvent[] = [];
  await agent.runAgent({ runId: randomUUID() }, { onEvent: ({ event }) => void events.push(event) });
  return { agent, events };
}

/** Consecutive events of one type become one entry: the shape of a run, however its text was cut. */
const shape = (events: BaseEvent[], skip: string[] = ["STATE_DELTA"]) =>
  events
    .map((e) => e.type as string)
    .filter((t) => !skip.includes(t))
    .filter((t, i, all) => !(t === "TEXT_MESSAGE_CONTENT" && all[i - 1] === t));

const texts = (events: BaseEvent[]) => {
  const by = new Map<string, { name: string | undefined; text: string }>();
  for (const e of events as (BaseEvent & { messageId?: string; delta?: string; name?: string })[]) {
    if (e.type === "TEXT_MESSAGE_START") by.set(e.messageId ?? "", { name: e.name, text: "" });
    if (e.type === "TEXT_MESSAGE_CONTENT") {
      const m = by.get(e.messageId ?? "");
      if (m) m.text += e.delta ?? "";
    }
  }
  return by;
};

async function postedCount(groupId: string): Promise<number> {
  const jsm = await jetstreamManager(sys.bus.nc);
  const info = await jsm.streams.info(n.stream("conv"), { subjects_filter: n.groupFilter(groupId) });
  return info.state.subjects?.[n.convSubject(groupId, "message.posted")] ?? 0;
}

interface Frame {
  id: string;
  data: string;
}
/** SSE frames of a response, read until the end or until `stopAfter` says the connection drops. */
async function readFrames(res: Response, stopAfter?: (f: Frame) => boolean, abort?: AbortController) {
  const frames: Frame[] = [];
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  const decoder = new TextDecoder();
  let buffer = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const parts = buffer.split("\n\n");
    buffer = parts.pop() ?? "";
    for (const part of parts) {
      const lines = part.split("\n");
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
      if (data.length === 0) continue;
      const id = lines.find((l) => l.startsWith("id: "))?.slice(4) ?? "";
      const f = { id, data: data.join("\n") };
      frames.push(f);
      if (stopAfter?.(f)) {
        abort?.abort();
        await reader.cancel().catch(() => {});
        return frames;
      }
    }
  }
  return frames;
}

async function post(
  groupId: string,
  body: object,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return fetch(url(groupId), {
    method: "POST",
    headers: {
      authorization: `Bearer ${sys.user.accessToken}`,
      "content-type": "application/json",
      accept: "text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

describe("POST /v1/groups/:id/agui", () => {
  it("runs a round-robin turn for @ag-ui/client: run, state, each agent's text as recorded, finish", async () => {
    const g = await group("round_robin", [
      { name: "Ada", scripted: { replies: ["Ada thinks we should ship it today"] } },
      { name: "Bob", scripted: { replies: ["Bob would rather wait a week"] } },
    ]);
    const { agent, events } = await runWithClient(g.id, "ship or wait?");
    expect(shape(events)).toEqual([
      "RUN_STARTED",
      "STATE_SNAPSHOT",
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_END",
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_END",
      "MESSAGES_SNAPSHOT",
      "RUN_FINISHED",
    ]);
    const started = events[0] as BaseEvent & { threadId: string; runId: string };
    expect(started.threadId).toBe(g.id);
    // Every event carries the stream seq it came from, and its resume point.
    for (const e of events) {
      const raw = e.rawEvent as { conclave: { seq: number; id: string } };
      expect(raw.conclave.seq).toBeGreaterThan(0);
      expect(raw.conclave.id).toMatch(/^\d+/);
    }
    const history = (await waitForHistory(sys, g.id, 3)) as {
      id: string;
      content: string;
      agentName?: string;
    }[];
    const byId = new Map(history.map((h) => [h.id, h]));
    const got = texts(events);
    expect([...got.values()].map((m) => m.name)).toEqual(["Ada", "Bob"]);
    for (const [id, m] of got) expect(byId.get(id)?.content, m.name).toBe(m.text);
    expect([...got.values()].map((m) => m.text)).toEqual([
      "Ada thinks we should ship it today",
      "Bob would rather wait a week",
    ]);
    // The client applied the state: the speakers chosen and the turn's end.
    const state = agent.state as { status: string; strategy: string; speakers: { agentName: string }[] };
    expect(state.status).toBe("completed");
    expect(state.strategy).toBe("round_robin");
    expect(state.speakers.map((s) => s.agentName)).toEqual(["Ada", "Bob"]);
    // The agent's messages are the client's too, under their recorded ids; the closing
    // MESSAGES_SNAPSHOT keeps the client's own message and gives each reply whole.
    expect(agent.messages.filter((m) => m.role === "assistant").map((m) => m.id)).toEqual([...got.keys()]);
    expect(agent.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", "ship or wait?"],
      ["assistant", "Ada thinks we should ship it today"],
      ["assistant", "Bob would rather wait a week"],
    ]);
  });

  it("gives a debate's ballots and tally as state deltas that add up to the recorded vote", async () => {
    const ballot = (choice: string, confidence: number) => [
      { choice, confidence, rationale: `for ${choice}` },
    ];
    const g = await group(
      "debate_vote",
      [
        { name: "Ada", scripted: { replies: ["A0", "A1"], votes: ballot("Bob", 0.9) } },
        { name: "Bob", scripted: { replies: ["B0", "B1"], votes: ballot("Bob", 0.8) } },
        { name: "Cy", scripted: { replies: ["C0", "C1"], votes: ballot("Ada", 0.6) } },
      ],
      { turnLimits: { maxRounds: 1 } },
    );
    const { agent, events } = await runWithClient(g.id, "what should we do?");
    expect(events.filter((e) => e.type === "STATE_DELTA").length).toBeGreaterThan(3);
    const finished = events.at(-1) as BaseEvent & { result: { turnId: string } };
    expect(finished.type).toBe("RUN_FINISHED");
    const turn = await waitUntil("the vote to be recorded", async () => {
      const res = await sys.get(`/v1/groups/${g.id}/turns/${finished.result.turnId}`);
      const body = res.body as {
        status: string;
        votes: {
          consensus: string | null;
          winner: string;
          ballots: { agentName: string; choice: string }[];
        }[];
      };
      return body.status === "completed" && body.votes[0]?.consensus ? body : undefined;
    });
    const recorded = turn.votes[0];
    const state = agent.state as {
      ballots: { agentName: string; choice: string }[];
      tally: { winner: string; choices: { choice: string; count: number }[] };
      outcome: { consensus: boolean; choice: string };
    };
    expect(state.ballots.map((b) => `${b.agentName}->${b.choice}`).sort()).toEqual(
      recorded?.ballots.map((b) => `${b.agentName}->${b.choice}`).sort(),
    );
    expect(state.tally.winner).toBe(recorded?.winner);
    expect(state.tally.choices.map((c) => [c.choice, c.count])).toEqual(
      expect.arrayContaining([
        ["Bob", 2],
        ["Ada", 1],
      ]),
    );
    expect(state.outcome).toMatchObject({ consensus: true, choice: "Bob" });
  });

  it("shows a tool call as TOOL_CALL_START/ARGS/END and its TOOL_CALL_RESULT", async () => {
    const created = (
      await sys.post("/v1/groups", {
        name: `tools-${randomUUID()}`,
        agents: [
          {
            name: "Toolsmith",
            scripted: {
              toolCalls: [{ name: "calculator", args: { expression: "6 * 7" } }],
              replies: ["The answer is 42."],
            },
          },
        ],
      })
    ).body as { id: string; agents: { id: string }[] };
    await sql`update agents set tools = ${sql.json(["calculator"])} where id = ${created.agents[0]?.id ?? ""}`;
    const { agent, events } = await runWithClient(created.id, "what is 6 * 7?");
    // The closing snapshot holds the call, its result and the answer after the client's question.
    expect(agent.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(shape(events)).toEqual([
      "RUN_STARTED",
      "STATE_SNAPSHOT",
      "TOOL_CALL_START",
      "TOOL_CALL_ARGS",
      "TOOL_CALL_END",
      "TOOL_CALL_RESULT",
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_END",
      "MESSAGES_SNAPSHOT",
      "RUN_FINISHED",
    ]);
    const call = events.find((e) => e.type === "TOOL_CALL_START") as BaseEvent & {
      toolCallId: string;
      toolCallName: string;
    };
    expect(call.toolCallName).toBe("calculator");
    const args = events.find((e) => e.type === "TOOL_CALL_ARGS") as BaseEvent & { delta: string };
    expect(JSON.parse(args.delta)).toEqual({ expression: "6 * 7" });
    const result = events.find((e) => e.type === "TOOL_CALL_RESULT") as BaseEvent & {
      toolCallId: string;
      content: string;
    };
    expect(result.toolCallId).toBe(call.toolCallId);
    expect(JSON.stringify(JSON.parse(result.content))).toContain("42");
  });

  it("resumes a dropped stream after its Last-Event-ID: no gap, no repeat, the message posted once", async () => {
    const g = await group("round_robin", [
      { name: "Ada", scripted: { replies: ["one two three four five six seven eight"] } },
      { name: "Bob", scripted: { replies: ["nine ten eleven twelve"], delayMs: 1500 } },
    ]);
    const body = input(g.id, "count with me");
    const abort = new AbortController();
    const first = await post(g.id, body, {}, abort.signal);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/);
    // The connection drops right after the first piece of text.
    const before = await readFrames(first, (f) => JSON.parse(f.data).type === "TEXT_MESSAGE_CONTENT", abort);
    const lastId = before.at(-1)?.id ?? "";
    expect(lastId).toMatch(/^\d+;/);
    const again = await post(g.id, body, { "last-event-id": lastId });
    expect(again.status).toBe(200);
    const after = await readFrames(again);
    expect(after[0] && JSON.parse(after[0].data).type).not.toBe("RUN_STARTED");
    const all = [...before, ...after];
    const ids = all.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The union is one valid run for the client: parsed by its schemas, verified in order.
    const replayed = new HttpAgent({
      url: "http://union.invalid",
      fetch: async () =>
        new Response(all.map((f) => `id: ${f.id}\ndata: ${f.data}\n\n`).join(""), {
          headers: { "content-type": "text/event-stream" },
        }),
    });
    const events: BaseEvent[] = [];
    await replayed.runAgent({}, { onEvent: ({ event }) => void events.push(event) });
    expect(shape(events)).toEqual([
      "RUN_STARTED",
      "STATE_SNAPSHOT",
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_END",
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_END",
      "MESSAGES_SNAPSHOT",
      "RUN_FINISHED",
    ]);
    expect([...texts(events).values()].map((m) => m.text)).toEqual([
      "one two three four five six seven eight",
      "nine ten eleven twelve",
    ]);
    for (const f of all) expect(EventSchemas.safeParse(JSON.parse(f.data)).success).toBe(true);
    expect(await postedCount(g.id)).toBe(1);
    // Asking again for a run that ended answers its end again, and posts nothing.
    const last = all.at(-1)?.id ?? "";
    const ended = await readFrames(await post(g.id, body, { "last-event-id": last }));
    expect(ended).toEqual([]);
    expect(await postedCount(g.id)).toBe(1);
  });

  it("ends a running stream with RUN_ERROR access_lost once the caller is removed or logs out, and the turn goes on", async () => {
    const g = await group("broadcast", [
      { name: "Ada", scripted: { replies: ["a slow thought"], delayMs: 5000 } },
    ]);
    const follow = async (kind: "removed" | "logged out") => {
      const member = await sys.register();
      const joined = await sys.post(`/v1/groups/${g.id}/members`, { email: member.email, role: "member" });
      expect(joined.status, JSON.stringify(joined.body)).toBe(201);
      const posted = await postedCount(g.id);
      const res = await fetch(url(g.id), {
        method: "POST",
        headers: {
          authorization: `Bearer ${member.accessToken}`,
          "content-type": "application/json",
          accept: "text/event-stream",
        },
        body: JSON.stringify(input(g.id, `still there? (${kind})`)),
      });
      expect(res.status).toBe(200);
      const reading = readFrames(res);
      // The run has started (its message is in the stream) before access goes.
      await waitUntil("the run's message posted", async () =>
        (await postedCount(g.id)) > posted ? true : undefined,
      );
      const gone =
        kind === "removed"
          ? await sys.request("DELETE", `/v1/groups/${g.id}/members/${member.accountId}`)
          : await sys.post("/v1/auth/logout", { refreshToken: member.refreshToken }, member.accessToken);
      expect(gone.status, JSON.stringify(gone.body)).toBe(204);
      // The stream ends on its own, before the turn does (Ada takes 5 s).
      const frames = await reading;
      const events = frames.map((f) => JSON.parse(f.data) as { type: string; code?: string });
      expect(events[0]?.type).toBe("RUN_STARTED");
      expect(events.at(-1)).toMatchObject({ type: "RUN_ERROR", code: "access_lost" });
      expect(events.filter((e) => e.type === "RUN_FINISHED" || e.type === "RUN_ERROR")).toHaveLength(1);
    };
    await follow("removed");
    await follow("logged out");
    // Nothing was cancelled: the first turn still runs (the second waits behind it).
    const failed =
      await sql`select count(*)::int as n from turns where group_id = ${g.id} and status = 'failed'`;
    expect(failed[0]?.n).toBe(0);
    expect(await postedCount(g.id)).toBe(2);
  });

  it("refuses outsiders (404), viewers (403), bad input (400, nothing posted) and no credential (401)", async () => {
    const g = await group("broadcast", [{ name: "Ada", scripted: { replies: ["hi"] } }]);
    const outsider = await sys.register();
    const viewer = await sys.register();
    const joined = await sys.post(`/v1/groups/${g.id}/members`, { email: viewer.email, role: "viewer" });
    expect(joined.status, JSON.stringify(joined.body)).toBe(201);
    const as = (token: string | null, body: object = input(g.id, "hello")) =>
      fetch(url(g.id), {
        method: "POST",
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
    expect((await as(outsider.accessToken)).status).toBe(404);
    expect((await as(viewer.accessToken)).status).toBe(403);
    expect((await as(null)).status).toBe(401);
    const bad = await as(sys.user.accessToken, {
      threadId: randomUUID(),
      runId: "",
      messages: [{ id: "m", role: "assistant", content: "no user here" }],
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toMatch(/problem\+json/);
    const problem = (await bad.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["body.runId"]));
    const wrong = await as(sys.user.accessToken, {
      ...input(randomUUID(), "hello"),
      messages: [{ id: "m", role: "assistant", content: "no user here" }],
    });
    expect(wrong.status).toBe(400);
    const paths = ((await wrong.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["body.threadId", "body.messages"]));
    const cursor = await as(sys.user.accessToken, input(g.id, "hello"));
    await cursor.body?.cancel();
    expect(await postedCount(g.id)).toBe(1);
    const badId = await fetch(url(g.id), {
      method: "POST",
      headers: {
        authorization: `Bearer ${sys.user.accessToken}`,
        "content-type": "application/json",
        "last-event-id": "not-an-id",
      },
      body: JSON.stringify(input(g.id, "hello")),
    });
    expect(badId.status).toBe(400);
    expect(await postedCount(g.id)).toBe(1);
  });
});
