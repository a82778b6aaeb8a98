import { describe, expect, it } from "vitest";
import { CreateWidgetKeyBody, WidgetThemeBody } from "./schemas.js";

const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  (r.error?.issues ?? []).map((i) => i.path.join("."));

describe("a widget theme", () => {
  it("takes a title, a greeting, a hex primary colour and a corner", () => {
    const r = WidgetThemeBody.parse({
      title: " Ask us ",
      greeting: "Hi!",
      primary: "#4F46E5",
      position: "bottom-left",
    });
    expect(r).toEqual({ title: "Ask us", greeting: "Hi!", primary: "#4f46e5", position: "bottom-left" });
    expect(WidgetThemeBody.parse({})).toEqual({});
    expect(WidgetThemeBody.parse({ primary: "#fff" }).primary).toBe("#fff");
  });

  it("names every field it refuses", () => {
    const r = WidgetThemeBody.safeParse({
      title: "",
      greeting: "x".repeat(281),
      primary: "red; background:url(x)",
      position: "middle",
      font: "Comic Sans",
    });
    expect(r.success).toBe(false);
    expect(paths(r).sort()).toEqual(["", "greeting", "position", "primary", "title"]);
  });
});

describe("a widget key's origins", () => {
  it("are normalised origins, at least one", () => {
    const r = CreateWidgetKeyBody.parse({
      name: "shop",
      origins: ["https://Shop.example/", "http://localhost:8080"],
    });
    expect(r.origins).toEqual(["https://shop.example", "http://localhost:8080"]);
    expect(paths(CreateWidgetKeyBody.safeParse({ name: "shop", origins: [] }))).toEqual(["origins"]);
  });

  it("refuses paths, wildcards and other schemes, each by its index", () => {
    const r = CreateWidgetKeyBody.safeParse({
      name: "shop",
      origins: ["https://ok.example", "https://shop.example/page", "*", "file:///x"],
    });
    expect(paths(r)).toEqual(["origins.1", "origins.2", "origins.3"]);
  });
});
