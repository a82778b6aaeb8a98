import { describe, expect, it } from "vitest";
import { embedCode } from "./embed-code.js";

describe("an embed code", () => {
  it("is one async script tag with the group, key and theme", () => {
    const html = embedCode({
      baseUrl: "https://conclave.example/",
      groupId: "g1",
      key: "ck_x",
      theme: { title: "Ask us", primary: "#4f46e5", position: "bottom-left" },
    });
    expect(html).toBe(
      '<script src="https://conclave.example/widget.js" data-group="g1" data-key="ck_x" data-title="Ask us" data-primary="#4f46e5" data-position="bottom-left" async></script>',
    );
  });

  it("escapes what a theme's text could break out of the attribute with", () => {
    const html = embedCode({
      baseUrl: "https://c.example",
      streamUrl: "https://s.example",
      groupId: "g",
      key: "k",
      theme: { greeting: `Hi "you" <b>&</b>` },
    });
    expect(html).toContain('data-stream="https://s.example"');
    expect(html).toContain('data-greeting="Hi &quot;you&quot; &lt;b&gt;&amp;&lt;/b&gt;"');
    expect(html.match(/</g)).toHaveLength(2);
  });
});
