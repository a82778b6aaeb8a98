import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { fenceWidget } from "./widget-fence.js";

const G = "0190a0b0-0000-7000-8000-000000000001";
const OTHER = "0190a0b0-0000-7000-8000-000000000002";
const grant = { groupId: G, origins: ["https://shop.example"] };
const origin = "https://shop.example";

const answer = (method: string, path: string, o: string | null = origin) => {
  try {
    fenceWidget(grant, { method, path, origin: o ?? undefined });
    return "pass";
  } catch (e) {
    return e instanceof AppError ? e.code : "other";
  }
};

describe("a widget key on the edge", () => {
  it("reads and posts its group's messages from its origin", () => {
    expect(answer("GET", `/v1/groups/${G}/messages`)).toBe("pass");
    expect(answer("POST", `/v1/groups/${G}/messages`)).toBe("pass");
  });

  it("is refused anything else in its group (403), and another group's paths are not found (404)", () => {
    expect(answer("DELETE", `/v1/groups/${G}`)).toBe("forbidden");
    expect(answer("GET", `/v1/groups/${G}`)).toBe("forbidden");
    expect(answer("GET", `/v1/groups/${G}/widget-keys`)).toBe("forbidden");
    expect(answer("GET", `/v1/groups/${G}/turns/x`)).toBe("forbidden");
    expect(answer("GET", "/v1/groups")).toBe("forbidden");
    expect(answer("POST", "/v1/agents")).toBe("forbidden");
    expect(answer("GET", "/v1/api-keys")).toBe("forbidden");
    expect(answer("GET", "/v1/me")).toBe("forbidden");
    expect(answer("GET", `/v1/groups/${OTHER}/messages`)).toBe("not_found");
    expect(answer("POST", `/v1/groups/${OTHER}/messages`)).toBe("not_found");
    expect(answer("GET", `/v1/groups/${OTHER}/members`)).toBe("not_found");
  });

  it("needs an Origin it lists", () => {
    expect(answer("POST", `/v1/groups/${G}/messages`, null)).toBe("forbidden");
    expect(answer("POST", `/v1/groups/${G}/messages`, "https://evil.example")).toBe("forbidden");
    expect(answer("GET", `/v1/groups/${G}/messages`, "http://shop.example")).toBe("forbidden");
  });
});
