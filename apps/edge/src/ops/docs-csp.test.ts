import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sameOriginPolicy } from "./docs-csp.js";

const sha = (s: string) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`;

describe("sameOriginPolicy", () => {
  it("allows each inline script by its hash, and scripts from this origin only", () => {
    const html = `<html><head><style>a{}</style></head><body>
<script src="/docs/assets/x.js"></script>
<script type="text/javascript">
  go('#app')
</script><script>two()</script></body></html>`;
    const csp = sameOriginPolicy(html);
    const script = csp.split("; ").find((d) => d.startsWith("script-src"));
    expect(script).toBe(`script-src 'self' ${sha("\n  go('#app')\n")} ${sha("two()")}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    // Nothing names another origin, nor allows code from strings or any host.
    expect(csp).not.toMatch(/https?:|\*|unsafe-eval/);
  });

  it("allows no inline script when the page has none", () => {
    expect(sameOriginPolicy("<p>hi</p>")).toContain("script-src 'self';");
  });
});
