import { describe, expect, it } from "vitest";
import { createWaitSlots } from "./wait-slots.js";

describe("wait slots", () => {
  it("give out at most `max` at once, and one again for each released", () => {
    const slots = createWaitSlots(2);
    const a = slots.take();
    const b = slots.take();
    expect(a).toBeTypeOf("function");
    expect(b).toBeTypeOf("function");
    expect(slots.take()).toBeUndefined();
    expect(slots.inUse).toBe(2);
    a?.();
    expect(slots.inUse).toBe(1);
    expect(slots.take()).toBeTypeOf("function");
    expect(slots.take()).toBeUndefined();
  });

  it("count a release once however often it is called", () => {
    const slots = createWaitSlots(1);
    const release = slots.take();
    release?.();
    release?.();
    expect(slots.inUse).toBe(0);
    expect(slots.take()).toBeTypeOf("function");
    expect(slots.take()).toBeUndefined();
  });

  it("give none when the bound is 0", () => {
    expect(createWaitSlots(0).take()).toBeUndefined();
  });
});
