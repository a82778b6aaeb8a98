import { describe, expect, it } from "vitest";
import { isDatabaseUnreachable } from "./unreachable.js";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isDatabaseUnreachable", () => {
  it("knows a refused, lost or timed-out connection and a server that cannot serve, by code", () => {
    for (const code of [
      "ECONNREFUSED",
      "ECONNRESET",
      "CONNECT_TIMEOUT",
      "CONNECTION_CLOSED",
      "57P01",
      "57P03",
      "08006",
    ])
      expect(isDatabaseUnreachable(withCode(code)), code).toBe(true);
  });

  it("looks through drizzle's query error and an AggregateError of several addresses", () => {
    const wrapped = Object.assign(new Error("Failed query: select 1\nparams: "), {
      query: "select 1",
      params: [],
      cause: new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], ""),
    });
    expect(isDatabaseUnreachable(wrapped)).toBe(true);
  });

  it("leaves query errors and mere words alone", () => {
    expect(isDatabaseUnreachable(withCode("23505"))).toBe(false);
    expect(isDatabaseUnreachable(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(false);
    expect(isDatabaseUnreachable("ECONNREFUSED")).toBe(false);
    expect(isDatabaseUnreachable(undefined)).toBe(false);
  });
});
