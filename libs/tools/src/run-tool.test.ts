import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runTool } from "./run-tool.js";
import { defineTool, type ToolContext } from "./tool.js";
import { createToolRegistry } from "./tool-registry.js";

function echoTool(calls: unknown[]) {
  return defineTool({
    name: "echo",
    description: "Echoes its arguments.",
    schema: z.strictObject({
      text: z.string().max(10),
      nested: z.strictObject({ n: z.number().int() }).optional(),
      times: z.number().int().min(1).default(1),
    }),
    timeoutMs: 1_000,
    run: async (args) => {
      calls.push(args);
      return { said: args.text.repeat(args.times) };
    },
  });
}

/** A tool that only ends when its signal aborts, recording why. */
function stuckTool(reasons: unknown[], timeoutMs = 50) {
  return defineTool({
    name: "stuck",
    description: "Never finishes on its own.",
    schema: z.strictObject({}),
    timeoutMs,
    run: (_args, ctx: ToolContext) =>
      new Promise<never>((_, reject) => {
        ctx.signal.addEventListener("abort", () => {
          reasons.push(ctx.signal.reason);
          reject(new Error("aborted"));
        });
      }),
  });
}

describe("runTool", () => {
  it("refuses a tool that is not in the agent's allowed list, without running it", async () => {
    const calls: unknown[] = [];
    const registry = createToolRegistry([echoTool(calls)]);
    const out = await runTool(registry, { name: "echo", args: { text: "hi" }, allowedTools: ["calculator"] });
    expect(out).toEqual({
      ok: false,
      error: {
        code: "forbidden",
        message: "tool echo is not allowed for this agent",
        fields: [],
        retryable: false,
      },
    });
    expect(calls).toEqual([]);
  });

  it("answers not_found for an allowed name that no tool has", async () => {
    const out = await runTool(createToolRegistry([]), { name: "ghost", args: {}, allowedTools: ["ghost"] });
    expect(out.ok || out.error.code).toBe("not_found");
  });

  it("validates arguments and lists every failing path, unknown keys included", async () => {
    const calls: unknown[] = [];
    const registry = createToolRegistry([echoTool(calls)]);
    const out = await runTool(registry, {
      name: "echo",
      args: { text: 5, nested: { n: 1.5 }, extra: true },
      allowedTools: ["echo"],
    });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.code).toBe("validation");
    expect(out.error.message).toBe("invalid arguments for tool echo");
    expect(out.error.fields.map((f) => f.path).sort()).toEqual(["extra", "nested.n", "text"]);
    expect(calls).toEqual([]);
  });

  it("runs with parsed arguments (defaults applied) and returns the result", async () => {
    const calls: unknown[] = [];
    const registry = createToolRegistry([echoTool(calls)]);
    const out = await runTool(registry, {
      name: "echo",
      args: { text: "ab", times: 2 },
      allowedTools: ["echo"],
    });
    expect(out).toEqual({ ok: true, result: { said: "abab" } });
    await runTool(registry, { name: "echo", args: { text: "x" }, allowedTools: ["echo"] });
    expect(calls).toEqual([
      { text: "ab", times: 2 },
      { text: "x", times: 1 },
    ]);
  });

  it("stops a tool at its timeout, aborts its signal and answers timeout", async () => {
    const reasons: unknown[] = [];
    const registry = createToolRegistry([stuckTool(reasons)]);
    const started = Date.now();
    const out = await runTool(registry, { name: "stuck", args: {}, allowedTools: ["stuck"] });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(out).toEqual({
      ok: false,
      error: {
        code: "timeout",
        message: "tool stuck did not finish within 50 ms",
        fields: [],
        retryable: true,
      },
    });
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as AppError).code).toBe("timeout");
  });

  it("lets the caller tighten the timeout but never extend it", async () => {
    const registry = createToolRegistry([stuckTool([], 80)]);
    const tighter = await runTool(registry, {
      name: "stuck",
      args: {},
      allowedTools: ["stuck"],
      timeoutMs: 20,
    });
    expect(!tighter.ok && tighter.error.message).toBe("tool stuck did not finish within 20 ms");
    const looser = await runTool(registry, {
      name: "stuck",
      args: {},
      allowedTools: ["stuck"],
      timeoutMs: 60_000,
    });
    expect(!looser.ok && looser.error.message).toBe("tool stuck did not finish within 80 ms");
  });

  it("stops a run when the caller's signal aborts", async () => {
    const reasons: unknown[] = [];
    const registry = createToolRegistry([stuckTool(reasons, 5_000)]);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 20);
    const out = await runTool(registry, {
      name: "stuck",
      args: {},
      allowedTools: ["stuck"],
      signal: cancel.signal,
    });
    expect(!out.ok && out.error.code).toBe("unavailable");
  });

  it("refuses a tool that requires approval unless the call was approved", async () => {
    const approvalTool = defineTool({
      name: "send_mail",
      description: "Sends mail.",
      schema: z.strictObject({}),
      timeoutMs: 100,
      requiresApproval: true,
      run: async () => "sent",
    });
    const registry = createToolRegistry([approvalTool]);
    const refused = await runTool(registry, { name: "send_mail", args: {}, allowedTools: ["send_mail"] });
    expect(!refused.ok && refused.error).toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/approval/),
    });
    const approved = await runTool(registry, {
      name: "send_mail",
      args: {},
      allowedTools: ["send_mail"],
      approved: true,
    });
    expect(approved).toEqual({ ok: true, result: "sent" });
  });

  it("passes a tool's AppError through and reports any other throw as internal", async () => {
    const failing = (e: unknown) =>
      defineTool({
        name: "failing",
        description: "Fails.",
        schema: z.strictObject({}),
        timeoutMs: 100,
        run: async () => {
          throw e;
        },
      });
    const run = (e: unknown) =>
      runTool(createToolRegistry([failing(e)]), { name: "failing", args: {}, allowedTools: ["failing"] });
    expect(await run(new AppError("not_found", "no such page"))).toEqual({
      ok: false,
      error: { code: "not_found", message: "no such page", fields: [], retryable: false },
    });
    expect(await run(new TypeError("x is undefined"))).toEqual({
      ok: false,
      error: {
        code: "internal",
        message: "tool failing failed unexpectedly: x is undefined",
        fields: [],
        retryable: false,
      },
    });
  });

  it("refuses a result that is too large to hand back to the model", async () => {
    const big = defineTool({
      name: "big",
      description: "Too much.",
      schema: z.strictObject({}),
      timeoutMs: 1_000,
      run: async () => "x".repeat(300_000),
    });
    const out = await runTool(createToolRegistry([big]), { name: "big", args: {}, allowedTools: ["big"] });
    expect(!out.ok && out.error.code).toBe("payload_too_large");
  });

  it("passes the group in scope and the call's key to the tool", async () => {
    const seen: (string | undefined)[] = [];
    const scoped = defineTool({
      name: "scoped",
      description: "Reads the group.",
      schema: z.strictObject({}),
      timeoutMs: 100,
      run: async (_args, ctx) => {
        seen.push(ctx.groupId, ctx.idempotencyKey);
        return ctx.limits.timeoutMs;
      },
    });
    const out = await runTool(createToolRegistry([scoped]), {
      name: "scoped",
      args: {},
      allowedTools: ["scoped"],
      groupId: "g-1",
      idempotencyKey: "k-1",
    });
    expect(out).toEqual({ ok: true, result: 100 });
    expect(seen).toEqual(["g-1", "k-1"]);
  });
});

describe("registry", () => {
  it("gives LLM definitions for the allowed tools only, with an object JSON schema", () => {
    const registry = createToolRegistry([echoTool([]), stuckTool([])]);
    const defs = registry.definitions(["echo", "not-a-tool"]);
    expect(defs).toHaveLength(1);
    expect(defs[0]).toEqual({
      name: "echo",
      description: "Echoes its arguments.",
      parameters: {
        type: "object",
        properties: {
          text: { type: "string", maxLength: 10 },
          nested: {
            type: "object",
            properties: {
              n: { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
            },
            required: ["n"],
            additionalProperties: false,
          },
          times: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 },
        },
        required: ["text"],
        additionalProperties: false,
      },
    });
  });

  it("refuses two tools with one name, a bad name and a schema that is not an object", () => {
    expect(() => createToolRegistry([echoTool([]), echoTool([])])).toThrow(/two tools are named echo/);
    const base = { description: "d", timeoutMs: 10, run: async () => 1 };
    expect(() => defineTool({ ...base, name: "has space", schema: z.object({}) })).toThrow(/tool name/);
    expect(() => defineTool({ ...base, name: "scalar", schema: z.string() })).toThrow(/must be an object/);
  });
});
