import { AppError } from "@conclave/errors";
import {
  type ArrayNode,
  all,
  type ConditionalNode,
  type ConstantNode,
  create,
  type FunctionNode,
  type MathNode,
  type OperatorNode,
  type ParenthesisNode,
  type RelationalNode,
  type SymbolNode,
} from "mathjs";
import { z } from "zod";
import { defineTool, type Tool } from "./tool.js";

/** The longest expression the calculator accepts. */
export const MAX_EXPRESSION_CHARS = 1_000;

if (all === undefined) throw new Error("mathjs exports no factory functions");
const math = create(all, { number: "number" });
// Kept before the instance is locked below; only this module can reach it.
const parse = math.parse;

const disabled = (name: string) => () => {
  throw new Error(`function ${name} is disabled`);
};
// The mathjs security guide's list, plus every other entry point that parses or builds code.
const DISABLED = `import createUnit reviver evaluate parse simplify simplifyConstant simplifyCore derivative
  resolve compile chain rationalize leafCount symbolicEqual parser`;
math.import(Object.fromEntries([...words(DISABLED)].map((name) => [name, disabled(name)])), {
  override: true,
});

// Only these can appear in an expression; anything else is refused before evaluation.
const FUNCTIONS = words(`abs acos acosh acot acoth acsc acsch add arg asec asech asin asinh atan atan2
  atanh cbrt ceil conj cos cosh cot coth csc csch cube divide exp expm1 factorial fix floor gamma gcd
  hypot im lcm log log10 log1p log2 max mean median min mod multiply nthRoot pow prod re round sec sech
  sign sin sinh sqrt square std subtract sum tan tanh to variance`);
const OPERATORS = words(`add subtract multiply divide pow mod unaryMinus unaryPlus factorial to dotMultiply
  dotDivide dotPow equal unequal smaller smallerEq larger largerEq and or xor not`);
const CONSTANTS = words("pi e tau phi i Infinity NaN true false LN2 LN10 LOG2E LOG10E SQRT1_2 SQRT2");

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(/\s+/).filter((w) => w !== ""));
}

const REFUSED: Record<string, string> = {
  AccessorNode: "property access is",
  IndexNode: "indexing is",
  AssignmentNode: "assignments are",
  FunctionAssignmentNode: "defining functions is",
  ObjectNode: "objects are",
  BlockNode: "several expressions are",
  RangeNode: "ranges are",
};

/** Refuses a node that is not on the allow-lists; answers the children to check next. */
function allowed(node: MathNode): readonly MathNode[] {
  switch (node.type) {
    case "ConstantNode": {
      const { value } = node as ConstantNode;
      if (typeof value !== "number" && typeof value !== "boolean") refuse("text values are not supported");
      return [];
    }
    case "ParenthesisNode":
      return [(node as ParenthesisNode).content];
    case "OperatorNode": {
      const op = node as OperatorNode;
      if (!OPERATORS.has(op.fn)) refuse(`the operator ${op.op} is not supported`);
      return op.args;
    }
    case "FunctionNode": {
      const fn = node as FunctionNode;
      const name = fn.fn.type === "SymbolNode" ? fn.fn.name : undefined;
      if (name === undefined || !FUNCTIONS.has(name))
        refuse(`the function ${name ?? "(computed)"} is not allowed`);
      return fn.args;
    }
    case "SymbolNode": {
      const { name } = node as SymbolNode;
      if (!CONSTANTS.has(name) && !math.Unit.isValuelessUnit(name))
        refuse(`unknown name ${name} (variables are not supported)`);
      return [];
    }
    case "ArrayNode":
      return (node as ArrayNode).items;
    case "ConditionalNode": {
      const c = node as ConditionalNode;
      return [c.condition, c.trueExpr, c.falseExpr];
    }
    case "RelationalNode": {
      const r = node as RelationalNode;
      if (!r.conditionals.every((c) => OPERATORS.has(c))) refuse("that comparison is not supported");
      return r.params;
    }
    default:
      return refuse(`${REFUSED[node.type] ?? `${node.type} is`} not allowed`);
  }
}

function check(root: MathNode): void {
  const pending = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) pending.push(...allowed(node));
}

function refuse(message: string): never {
  throw new AppError("validation", `calculator: ${message}`, { fields: [{ path: "expression", message }] });
}

/** The result of a calculation: a number when it is a finite real, else mathjs's text (units, complex, ...). */
export interface CalculatorResult {
  expression: string;
  result: number | string;
}

/** Evaluates one arithmetic expression with a locked-down mathjs (no variables, functions or property access). */
export function calculate(expression: string): CalculatorResult {
  if (expression.length > MAX_EXPRESSION_CHARS)
    refuse(`the expression is longer than ${MAX_EXPRESSION_CHARS} characters`);
  let node: MathNode;
  try {
    node = parse(expression);
  } catch (e) {
    refuse(e instanceof Error ? e.message : String(e));
  }
  check(node);
  let value: unknown;
  try {
    value = node.evaluate();
  } catch (e) {
    refuse(e instanceof Error ? e.message : String(e));
  }
  if (typeof value === "number")
    return { expression, result: Number.isFinite(value) ? value : String(value) };
  if (typeof value === "boolean") return { expression, result: String(value) };
  return { expression, result: math.format(value, { precision: 14 }) };
}

const CalculatorArgs = z.strictObject({
  expression: z
    .string()
    .min(1)
    .max(MAX_EXPRESSION_CHARS)
    .describe("An arithmetic expression, e.g. `sqrt(2) * sin(pi / 4)` or `5 cm to inch`."),
});

/** The `calculator` tool. */
export function createCalculatorTool(
  options: { timeoutMs?: number } = {},
): Tool<z.output<typeof CalculatorArgs>, CalculatorResult> {
  return defineTool({
    name: "calculator",
    description:
      "Evaluates an arithmetic expression: + - * / ^ % !, functions (sqrt, sin, log, round, mean, ...), " +
      "constants (pi, e), complex numbers and unit conversion (`5 km to mile`). No variables.",
    schema: CalculatorArgs,
    timeoutMs: options.timeoutMs ?? 1_000,
    run: async ({ expression }) => calculate(expression),
  });
}
