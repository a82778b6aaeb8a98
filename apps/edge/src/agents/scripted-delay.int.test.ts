import { SCRIPTED_MAX_DELAY_MS } from "@conclave/subjects";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EdgeResponse, startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

let edge: TestEdge;
let owner: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge();
  owner = await edge.register();
});
afterAll(async () => {
  await edge?.stop();
});

function expectField(res: EdgeResponse, path: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect((res.body.errors as { path: string }[]).map((e) => e.path)).toEqual([path]);
}

describe("a scripted agent's delay", () => {
  it(`is at most ${SCRIPTED_MAX_DELAY_MS} ms on create, update and import`, async () => {
    const token = owner.token;
    const tooLong = { delayMs: SCRIPTED_MAX_DELAY_MS + 1 };
    expectField(
      await edge.request("POST", "/v1/agents", { body: { name: "Sleepy", scripted: tooLong }, token }),
      "body.scripted.delayMs",
    );
    const created = await edge.request("POST", "/v1/agents", {
      body: { name: "Patient", scripted: { delayMs: SCRIPTED_MAX_DELAY_MS } },
      token,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expectField(
      await edge.request("PATCH", `/v1/agents/${created.body.id}`, { body: { scripted: tooLong }, token }),
      "body.scripted.delayMs",
    );
    expectField(
      await edge.request("POST", "/v1/agents/import", {
        body: { conclave: 1, agents: [{ name: "Sleepy", scripted: { delayMs: 20_000 } }] },
        token,
      }),
      "body.agents.0.scripted.delayMs",
    );
  });
});
