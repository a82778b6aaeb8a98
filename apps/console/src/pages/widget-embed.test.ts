import { describe, expect, it } from "vitest";
import { cleanTheme, fieldOf, parseOrigins, previewDocument } from "./widget-embed.js";

describe("parseOrigins", () => {
  it("takes one origin a line, trims, drops blanks, a trailing slash and repeats", () => {
    expect(parseOrigins(" https://Shop.example/\n\nhttp://localhost:8080\nhttps://shop.example\n")).toEqual({
      origins: ["https://shop.example", "http://localhost:8080"],
      errors: [],
    });
  });

  it("names each line that is not an origin", () => {
    const { errors } = parseOrigins(
      "https://ok.example\nshop.example\nhttps://x.example/path\nftp://x.example\nhttp://x:99999",
    );
    expect(errors.map((e) => e.slice(0, 7))).toEqual(["line 2:", "line 3:", "line 4:", "line 5:"]);
  });

  it("needs at least one", () => {
    expect(parseOrigins("  \n").errors).toEqual(["at least one origin is needed"]);
  });
});

describe("previewDocument", () => {
  it("holds the script tag with the theme, escaped, and leaves out blank fields", () => {
    const doc = previewDocument({
      scriptUrl: "https://edge.example/widget.js",
      groupId: "g1",
      key: "k1",
      theme: { title: ' Say "hi" <now> ', greeting: "  ", primary: "#ABCDEF", position: "bottom-left" },
    });
    expect(doc).toContain(
      '<script src="https://edge.example/widget.js" data-group="g1" data-key="k1" data-title="Say &quot;hi&quot; &lt;now&gt;" data-primary="#abcdef" data-position="bottom-left"></script>',
    );
    expect(doc).not.toContain("data-greeting");
  });

  it("cleanTheme keeps only what is set", () => {
    expect(cleanTheme({ title: "", greeting: " Hello ", position: "bottom-right" })).toEqual({
      greeting: "Hello",
      position: "bottom-right",
    });
  });
});

describe("fieldOf", () => {
  it("finds the form field of a problem's error path", () => {
    expect(fieldOf("origins.1")).toBe("origins");
    expect(fieldOf("theme.primary")).toBe("primary");
    expect(fieldOf("name")).toBe("name");
    expect(fieldOf("rateLimitPerMinute")).toBeUndefined();
  });
});
