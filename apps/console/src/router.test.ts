import { describe, expect, it } from "vitest";
import { parseRoute } from "./router.js";

describe("the console's routes", () => {
  it("reads each page and its ids from a path under /console", () => {
    expect(parseRoute("/console")).toEqual({ page: "groups" });
    expect(parseRoute("/console/")).toEqual({ page: "groups" });
    expect(parseRoute("/console/groups/new")).toEqual({ page: "new-group" });
    expect(parseRoute("/console/groups/g1")).toEqual({ page: "room", groupId: "g1" });
    expect(parseRoute("/console/groups/g1/members")).toEqual({ page: "members", groupId: "g1" });
    expect(parseRoute("/console/groups/g1/widget")).toEqual({ page: "widget", groupId: "g1" });
    expect(parseRoute("/console/groups/g1/turns/t1")).toEqual({
      page: "timeline",
      groupId: "g1",
      turnId: "t1",
    });
    expect(parseRoute("/console/agents/a1")).toEqual({ page: "agent", agentId: "a1" });
    expect(parseRoute("/console/usage")).toEqual({ page: "usage" });
  });
  it("answers not-found for anything else", () => {
    for (const p of ["/console/groups/g1/nope", "/console/usage/x", "/console/turns", "/console/agents/a/b"])
      expect(parseRoute(p), p).toEqual({ page: "not-found" });
  });
});
