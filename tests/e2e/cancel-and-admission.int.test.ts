import { and, type DbHandle, eq, events, openDb } from "@conclave/db";
import { deriveEventId, newEventId, SCRIPTED_MAX_DELAY_MS } from "@conclave/subjects";
import { type Response, startSystem, type TestSystem, type TestUser, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let sys: TestSystem;
let db: DbHandle;
let member: TestUser;
let viewer: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  sys = await startSystem();
  db = await openDb({ url: sys.db.url, poolSize: 1 });
  [member, viewer, stranger] = [await sys.register(), await sys.register(), await sys.register()];
});
afterAll(async () => {
  await db?.close();
  await sys?.stop();
});

function expectProblem(res: Response, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
}

async function groupWith(body: object): Promise<string> {
  const res = await sys.post("/v1/groups", { name: `g-${newEventId()}`, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const groupId = res.body.id as string;
  for (const [who, role] of [
    [member, "member"],
    [viewer, "viewer"],
  ] as const)
    expect((await sys.post(`/v1/groups/${groupId}/members`, { email: who.email, role })).status).toBe(201);
  return groupId;
}

const turnStatus = async (groupId: string, turnId: string) =>
  (await sys.get(`/v1/groups/${groupId}/turns/${turnId}`)).body as { status?: string; reason?: string };

describe("cancelling a turn", () => {
  it("lets a member stop a running turn; the request is recorded and the turn fails as cancelled", async () => {
    // Two calls of the longest scripted delay, with a tool between them: about ten seconds.
    const slow = {
      name: "Slow",
      tools: ["calculator"],
      scripted: {
        delayMs: SCRIPTED_MAX_DELAY_MS,
        toolCalls: [{ name: "calculator", args: { expression: "1 + 1" } }],
      },
    };
    const groupId = await groupWith({ agents: [slow] });
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "take your time" });
    expect(posted.status).toBe(202);
    const turnId = posted.body.turnId as string;
    await waitUntil("the turn recorded", async () => (await turnStatus(groupId, turnId)).status);
    const cancel = (token: string, body: unknown = {}) =>
      sys.post(`/v1/groups/${groupId}/turns/${turnId}/cancel`, body, token);

    expectProblem(await cancel(viewer.accessToken), 403);
    expectProblem(await cancel(stranger.accessToken), 404);
    expectProblem(await sys.post(`/v1/groups/${groupId}/turns/${newEventId()}/cancel`, {}), 404);
    const res = await cancel(member.accessToken, { reason: "wrong question" });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ turnId, status: "cancel_requested" });

    const recorded = await waitUntil("the cancel request recorded", async () => {
      const rows = await db.db
        .select()
        .from(events)
        .where(and(eq(events.groupId, groupId), eq(events.type, "turn.cancel_requested")));
      return rows.length > 0 ? rows : undefined;
    });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      id: deriveEventId(turnId, "cancel"),
      turnId,
      actor: { kind: "user", id: member.accountId },
      payload: { reason: "wrong question" },
    });

    // The orchestrator's part: the turn ends long before the agent would have answered.
    const ended = await waitUntil(
      "the turn to end",
      async () => {
        const t = await turnStatus(groupId, turnId);
        return t.status === "failed" || t.status === "completed" ? t : undefined;
      },
      10_000,
    );
    expect(ended).toMatchObject({ status: "failed" });
    expect(ended.reason).toMatch(/^cancelled/);
    expectProblem(await cancel(member.accessToken), 409);
  });
});

describe("the reject policy", () => {
  it("admits one of five concurrent posts to an idle group, refuses the rest, and admits again once the turn ends", async () => {
    const groupId = await groupWith({
      settings: { concurrentInput: "reject" },
      // Long enough that the four other posts are refused before the admitted turn ends, however busy.
      agents: [{ name: "Deliberate", scripted: { delayMs: 4000 } }],
    });
    const res = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => sys.post(`/v1/groups/${groupId}/messages`, { content: `post ${i}` })),
    );
    expect(res.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409]);
    for (const r of res.filter((x) => x.status === 409)) expectProblem(r, 409);
    const accepted = res.find((r) => r.status === 202);
    const turnId = accepted?.body.turnId as string;

    await waitUntil(
      "the admitted turn to complete",
      async () => (await turnStatus(groupId, turnId)).status === "completed" || undefined,
      15_000,
    );
    const next = await waitUntil(
      "the group to admit a post again",
      async () => {
        const r = await sys.post(`/v1/groups/${groupId}/messages`, { content: "and now?" });
        return r.status === 202 ? r : undefined;
      },
      5_000,
    );
    expect(next.body.turnId).not.toBe(turnId);
    const history = (await sys.get(`/v1/groups/${groupId}/messages?limit=500`)).body.items as {
      type: string;
    }[];
    expect(history.filter((m) => m.type === "message.posted").length).toBeLessThanOrEqual(2);
  });
});
