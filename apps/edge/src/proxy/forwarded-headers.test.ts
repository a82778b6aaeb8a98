import { describe, expect, it } from "vitest";
import { type Forwarding, forwardedHeaders } from "./forwarded-headers.js";

const base: Forwarding = {
  peer: "10.0.0.7",
  proto: "http",
  host: "edge.example",
  trustProxy: false,
  forwardAuthorization: false,
};
const headersOf = (incoming: Record<string, string>, f: Partial<Forwarding> = {}) =>
  Object.fromEntries(forwardedHeaders(new Headers(incoming), { ...base, ...f }));

describe("forwardedHeaders", () => {
  it("drops hop-by-hop headers, those Connection names, Proxy-*, Host and Authorization", () => {
    expect(
      headersOf({
        connection: "keep-alive, X-Secret, not a name",
        "x-secret": "s",
        "keep-alive": "timeout=5",
        te: "trailers",
        trailer: "x",
        upgrade: "websocket",
        "proxy-authorization": "Basic x",
        "proxy-connection": "keep-alive",
        host: "edge.example",
        authorization: "Bearer t",
        "content-type": "application/json",
      }),
    ).toEqual({
      "content-type": "application/json",
      "x-forwarded-for": "10.0.0.7",
      "x-forwarded-proto": "http",
      "x-forwarded-host": "edge.example",
    });
  });

  it("forwards Authorization only when the route says so", () => {
    expect(headersOf({ authorization: "Bearer t" }, { forwardAuthorization: true }).authorization).toBe(
      "Bearer t",
    );
  });

  it("replaces a caller's X-Forwarded-* and Forwarded unless the edge trusts the proxy in front of it", () => {
    const claimed = {
      "x-forwarded-for": "6.6.6.6",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "claimed.example",
      forwarded: "for=6.6.6.6",
    };
    expect(headersOf(claimed)).toEqual({
      "x-forwarded-for": "10.0.0.7",
      "x-forwarded-proto": "http",
      "x-forwarded-host": "edge.example",
    });
    expect(headersOf(claimed, { trustProxy: true })).toEqual({
      "x-forwarded-for": "6.6.6.6, 10.0.0.7",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "claimed.example",
      forwarded: "for=6.6.6.6",
    });
  });
});
