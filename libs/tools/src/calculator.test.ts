import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { calculate, createCalculatorTool, MAX_EXPRESSION_CHARS } from "./calculator.js";
import { runTool } from "./run-tool.js";
import { createToolRegistry } from "./tool-registry.js";

function refusal(expression: string): string {
  try {
    calculate(expression);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe("validation");
    return (e as AppError).message;
  }
  throw new Error(`${expression} was not refused`);
}

describe("calculator", () => {
  it("does arithmetic with precedence, powers, modulo and factorial", () => {
    expect(calculate("2 + 3 * 4").result).toBe(14);
    expect(calculate("(2 + 3) * 4 ^ 2 / 8").result).toBe(10);
    expect(calculate("17 % 5 + 5!").result).toBe(122);
    expect(calculate("0.1 + 0.2").result).toBeCloseTo(0.3, 15);
  });

  it("knows functions and constants", () => {
    expect(calculate("sqrt(16) + cbrt(27)").result).toBe(7);
    expect(calculate("sin(pi / 2)").result).toBe(1);
    expect(calculate("round(log(e^3), 6)").result).toBe(3);
    expect(calculate("max(3, 9, 4) - mean([1, 2, 3])").result).toBe(7);
    expect(calculate("1 < 2 ? 10 : 20").result).toBe(10);
  });

  it("converts units and answers non-real or non-finite results as text", () => {
    expect(calculate("5 cm to inch").result).toBe("1.9685039370079 inch");
    expect(calculate("3 kg * 2").result).toBe("6 kg");
    expect(calculate("sqrt(-4)").result).toBe("2i");
    expect(calculate("1 / 0").result).toBe("Infinity");
    expect(calculate("2 > 1").result).toBe("true");
  });

  it("refuses the functions that reach the parser or change the instance", () => {
    expect(refusal("import({}, {override: true})")).toMatch(/function import is not allowed/);
    expect(refusal("import(1)")).toMatch(/function import is not allowed/);
    expect(refusal('evaluate("1+1")')).toMatch(/function evaluate is not allowed/);
    expect(refusal('parse("1+1")')).toMatch(/function parse is not allowed/);
    expect(refusal('createUnit("foo")')).toMatch(/function createUnit is not allowed/);
    expect(refusal('simplify("x+x")')).toMatch(/function simplify is not allowed/);
  });

  it("refuses property access, the constructor chain and computed calls", () => {
    expect(refusal("[].constructor")).toMatch(/property access is not allowed/);
    // mathjs cannot even parse a call on a call's result; without it, the callee is a computed function.
    expect(refusal('"".constructor.constructor("return process")()')).toMatch(/Value expected/);
    expect(refusal('"".constructor.constructor("return process")')).toMatch(
      /function \(computed\) is not allowed/,
    );
    expect(refusal("cos.constructor")).toMatch(/property access is not allowed/);
    expect(refusal('[1,2]["constructor"]')).toMatch(/property access is not allowed/);
    expect(refusal("{a: 1}.a")).toMatch(/property access is not allowed/);
  });

  it("refuses function definitions, assignments, variables, ranges and several statements", () => {
    expect(refusal("f(x) = x^2")).toMatch(/defining functions is not allowed/);
    expect(refusal("a = 3")).toMatch(/assignments are not allowed/);
    expect(refusal("x + 1")).toMatch(/unknown name x/);
    expect(refusal("1:1e9")).toMatch(/ranges are not allowed/);
    expect(refusal("1; 2")).toMatch(/several expressions are not allowed/);
    expect(refusal("zeros(1e9)")).toMatch(/function zeros is not allowed/);
  });

  it("reports a syntax error as a validation error on the expression", () => {
    try {
      calculate("2 +* 3");
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).fields).toEqual([{ path: "expression", message: expect.any(String) }]);
    }
  });

  it("refuses input longer than the cap, in the schema and in calculate itself", async () => {
    const long = `1${"+1".repeat(MAX_EXPRESSION_CHARS)}`;
    expect(refusal(long)).toMatch(/longer than 1000 characters/);
    const registry = createToolRegistry([createCalculatorTool()]);
    const out = await runTool(registry, {
      name: "calculator",
      args: { expression: long },
      allowedTools: ["calculator"],
    });
    expect(!out.ok && out.error).toMatchObject({ code: "validation", fields: [{ path: "expression" }] });
  });

  it("ends quickly on huge numbers", () => {
    const started = Date.now();
    expect(calculate("1e9!").result).toBe("Infinity");
    expect(calculate("9^9^9").result).toBe("Infinity");
    expect(calculate("gamma(1e300)").result).toBe("Infinity");
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("runs as a tool", async () => {
    const registry = createToolRegistry([createCalculatorTool()]);
    const out = await runTool(registry, {
      name: "calculator",
      args: { expression: "2 * (3 + 4)" },
      allowedTools: ["calculator"],
    });
    expect(out).toEqual({ ok: true, result: { expression: "2 * (3 + 4)", result: 14 } });
  });
});
