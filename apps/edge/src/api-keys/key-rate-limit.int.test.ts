import { createApiKey } from "@conclave/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEdge, type TestEdge, type TestEdgeUser } from "../test-edge.js";

// A deployment limit small enough to reach in a few requests; the refill (one per 12 s) is too
// slow to hand out a token during the test.
const DEPLOYMENT_LIMIT = 5;

let edge: TestEdge;
let user: TestEdgeUser;

beforeAll(async () => {
  edge = await startTestEdge({
    RATE_LIMIT_PER_MINUTE: String(DEPLOYMENT_LIMIT),
    RATE_LIMIT_BURST: String(DEPLOYMENT_LIMIT),
  });
  user = await edge.register();
});
afterAll(async () => {
  await edge?.stop();
});

describe("an API key's own rate limit", () => {
  it("may not be set above the deployment's limit", async () => {
    const res = await edge.request("POST", "/v1/api-keys", {
      token: user.token,
      body: { name: "greedy", scopes: ["read"], rateLimitPerMinute: 100_000 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([
      { path: "body.rateLimitPerMinute", message: `must be at most ${DEPLOYMENT_LIMIT}` },
    ]);
  });

  it("is capped by the deployment's limit for a key stored before the check", async () => {
    const stored = await createApiKey(edge.db.db, {
      accountId: user.accountId,
      name: "legacy",
      scopes: ["read"],
      rateLimitPerMinute: 100_000,
    });
    const statuses: number[] = [];
    for (let i = 0; i < DEPLOYMENT_LIMIT + 3; i++)
      statuses.push((await edge.request("GET", "/v1/me", { token: stored.key })).status);
    expect(statuses.slice(0, DEPLOYMENT_LIMIT)).toEqual(Array(DEPLOYMENT_LIMIT).fill(200));
    expect(statuses.slice(DEPLOYMENT_LIMIT)).toEqual([429, 429, 429]);
  });
});
