import { describe, expect, it } from "vitest";
import { linkedAbort } from "./linked-abort.js";

describe("linkedAbort", () => {
  it("aborts with the parent's reason, also when the parent was aborted already", () => {
    const parent = new AbortController();
    const a = linkedAbort({ parent: parent.signal });
    parent.abort("stop");
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe("stop");
    expect(linkedAbort({ parent: parent.signal }).signal.reason).toBe("stop");
  });

  it("aborts at its timeout with the reason given, and no more once disposed", async () => {
    const a = linkedAbort({ timeoutMs: 1, timeoutReason: () => "late" });
    await new Promise((r) => setTimeout(r, 20));
    expect(a.signal.reason).toBe("late");
    const parent = new AbortController();
    const b = linkedAbort({ parent: parent.signal, timeoutMs: 1 });
    b.dispose();
    parent.abort("stop");
    await new Promise((r) => setTimeout(r, 20));
    expect(b.signal.aborted).toBe(false);
  });

  it("aborts every child still following one parent, none that stopped", () => {
    const parent = new AbortController();
    const kids = Array.from({ length: 5 }, () => linkedAbort({ parent: parent.signal }));
    kids[1]?.dispose();
    kids[3]?.dispose();
    parent.abort("stop");
    expect(kids.map((k) => k.signal.aborted)).toEqual([true, false, true, false, true]);
  });

  it("times out with a TimeoutError by default", async () => {
    const a = linkedAbort({ timeoutMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect((a.signal.reason as DOMException).name).toBe("TimeoutError");
  });
});
