import { describe, expect, it } from "vitest";
import { createStyle } from "../term/style.js";
import { promptLines, type TimelineCall } from "./prompt-lines.js";

const call: TimelineCall = {
  id: "01a24d3b-4a83-76f5-b0b4-3ca1fbc45c43",
  purpose: "reply",
  step: 1,
  provider: "scripted",
  model: "echo",
  prompt: {
    system: "You are Ada.\nBe brief.",
    messages: [
      { role: "user", name: "Grace", content: "hi\n  there" },
      { role: "assistant", name: "Ada", content: "hello" },
    ],
  },
  durationMs: 12,
  inputTokens: 7,
  outputTokens: 2,
  outcome: "ok",
  error: null,
};

describe("a call's prompt in the CLI", () => {
  it("prints the heading, the system prompt and each message line by line, as sent", () => {
    expect(promptLines(call, createStyle(false))).toEqual([
      "prompt (reply, step 1) → scripted/echo · 12ms · 7 in / 2 out tokens",
      "[system]",
      "  You are Ada.",
      "  Be brief.",
      "[user Grace]",
      "  hi",
      "    there",
      "[assistant Ada]",
      "  hello",
    ]);
  });

  it("leaves out an empty system prompt and missing tokens, and shows the error of a failed call", () => {
    const failed = { ...call, step: 0, inputTokens: null, outcome: "failed", error: "boom" };
    const lines = promptLines({ ...failed, prompt: { ...call.prompt, system: "" } }, createStyle(false));
    expect(lines[0]).toBe("prompt (reply) → scripted/echo · 12ms");
    expect(lines).not.toContain("[system]");
    expect(lines.at(-1)).toBe("error: boom");
  });
});
