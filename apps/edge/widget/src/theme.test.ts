import { describe, expect, it } from "vitest";
import { DEFAULT_PRIMARY, readSettings, textOn } from "./theme.js";

describe("the widget's settings", () => {
  it("come from the script tag, with the API where the script came from", () => {
    const s = readSettings(
      { group: "g", key: "k", title: "Ask us", primary: "#FACC15", position: "bottom-left" },
      "https://conclave.example/widget.js",
    );
    expect(s).toMatchObject({
      api: "https://conclave.example",
      stream: "https://conclave.example",
      title: "Ask us",
      primary: "#facc15",
      onPrimary: "#111827",
      position: "bottom-left",
    });
  });

  it("fall back to defaults for a bad colour or corner, and need a group and a key", () => {
    const s = readSettings(
      { group: "g", key: "k", primary: "red", position: "top" },
      "https://c.example/widget.js",
    );
    expect(s?.primary).toBe(DEFAULT_PRIMARY);
    expect(s?.onPrimary).toBe("#ffffff");
    expect(s?.position).toBe("bottom-right");
    expect(readSettings({ group: "g" }, "https://c.example/widget.js")).toBeUndefined();
  });

  it("puts readable text on the primary colour", () => {
    expect(textOn("#000")).toBe("#ffffff");
    expect(textOn("#ffffff")).toBe("#111827");
    expect(textOn("#4f46e5")).toBe("#ffffff");
  });
});
