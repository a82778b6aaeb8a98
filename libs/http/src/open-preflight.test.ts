import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { allowOrigin, openPreflight } from "./open-preflight.js";

const app = new Hono();
app.use("/x", openPreflight({ methods: ["GET", "POST"], headers: ["authorization"] }));
app.get("/x", (c) => c.text("the resource"));
app.options("/x", (c) => c.text("not a preflight"));

describe("openPreflight", () => {
  it("answers a preflight from any origin, reflecting it", async () => {
    const res = await app.request("/x", {
      method: "OPTIONS",
      headers: { origin: "https://anywhere.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "access-control-allow-origin": "https://anywhere.example",
      "access-control-allow-methods": "GET, POST",
      "access-control-allow-headers": "authorization",
      vary: "Origin",
    });
  });

  it("leaves every other request, and an OPTIONS that is no preflight, to the route without CORS", async () => {
    const get = await app.request("/x", { headers: { origin: "https://anywhere.example" } });
    expect(await get.text()).toBe("the resource");
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
    const options = await app.request("/x", { method: "OPTIONS", headers: { origin: "https://a.example" } });
    expect(await options.text()).toBe("not a preflight");
  });
});

describe("allowOrigin", () => {
  it("allows the one origin and varies on Origin once", () => {
    const h = new Headers({ vary: "Accept, origin" });
    allowOrigin(h, "https://shop.example");
    expect(h.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(h.get("vary")).toBe("Accept, origin");
    const fresh = new Headers();
    allowOrigin(fresh, "https://shop.example");
    expect(fresh.get("vary")).toBe("Origin");
  });
});
