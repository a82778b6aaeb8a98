import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { EdgeEnv } from "../http/env.js";
import { requireCsv } from "./require-csv.js";

const app = new Hono<EdgeEnv>().post("/", requireCsv, (c) => c.text("read"));
const post = (type?: string) =>
  app.request("/", { method: "POST", body: "a,b\n1,2\n", headers: type ? { "content-type": type } : {} });

describe("an upload's content type", () => {
  it("lets UTF-8 CSV through", async () => {
    for (const type of [
      "text/csv",
      "TEXT/CSV",
      "text/csv; charset=utf-8",
      'text/csv;charset="UTF-8"',
      "text/csv; header=present",
    ])
      expect((await post(type)).status, type).toBe(200);
  });

  it("answers anything else with a 415 problem naming the header", async () => {
    for (const type of [
      undefined,
      "application/json",
      "text/plain",
      "text/csvx",
      "text/csv; charset=latin1",
    ]) {
      const res = await post(type);
      expect(res.status, String(type)).toBe(415);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({
        type: "https://conclave.dev/problems/unsupported-media-type",
        status: 415,
        errors: [{ path: "header.content-type" }],
      });
    }
  });
});
