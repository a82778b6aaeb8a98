import { z } from "zod";

/** What one tool run may use: a signal that aborts at its deadline or on cancel, and the caller's scope. */
export interface ToolContext {
  /** Aborts when the run's time is up or the caller gives up; long work must watch it. */
  signal: AbortSignal;
  /** The run's time budget in milliseconds, and the epoch millisecond at which it ends. */
  limits: { timeoutMs: number; deadline: number };
  /** The group the calling agent acts in, set by the executor (never by the model). */
  groupId?: string;
  /** The account the call is charged to (the agent's owner), set by the executor: scarce pools are shared fairly by it. */
  accountId?: string;
  /** The call's ledger key: the same on every redelivery of this call. */
  idempotencyKey?: string;
  /** The agent making the call and the turn it runs in, set by the executor (never by the model). */
  agent?: { id: string; name: string };
  turnId?: string;
}

/** A tool offered to a model: the same shape as `ToolDefinition` in `@conclave/llm`. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** A JSON schema whose root is `{ "type": "object", ... }`. */
  parameters: Record<string, unknown>;
}

/** A tool: its name and description, the zod schema of its arguments, its limits, and what it does. */
export interface Tool<Args = unknown, Result = unknown> {
  readonly name: string;
  readonly description: string;
  /** Validates the model's arguments; its output is what `run` receives. */
  readonly schema: z.ZodType;
  /** The JSON schema of the arguments as the model sees them (derived from `schema`). */
  readonly parameters: Record<string, unknown>;
  readonly timeoutMs: number;
  /** When true, `runTool` refuses the call unless the caller says a person approved it. */
  readonly requiresApproval: boolean;
  run(args: Args, ctx: ToolContext): Promise<Result>;
}

/** Any tool, whatever its argument and result types (what a registry holds). */
export type AnyTool = Tool<unknown, unknown>;

export interface ToolSpec<S extends z.ZodType, Result> {
  name: string;
  description: string;
  schema: S;
  timeoutMs: number;
  requiresApproval?: boolean;
  run(args: z.output<S>, ctx: ToolContext): Promise<Result>;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Builds a tool from its spec, deriving the model-facing JSON schema from the zod schema. */
export function defineTool<S extends z.ZodType, Result>(
  spec: ToolSpec<S, Result>,
): Tool<z.output<S>, Result> {
  if (!TOOL_NAME.test(spec.name))
    throw new Error(`tool name ${JSON.stringify(spec.name)} is not [a-zA-Z0-9_-]{1,64}`);
  if (!(spec.timeoutMs > 0)) throw new Error(`tool ${spec.name}: timeoutMs must be positive`);
  const parameters = toParameters(spec.name, spec.schema);
  return {
    name: spec.name,
    description: spec.description,
    schema: spec.schema,
    parameters,
    timeoutMs: spec.timeoutMs,
    requiresApproval: spec.requiresApproval ?? false,
    run: (args, ctx) => spec.run(args, ctx),
  };
}

function toParameters(name: string, schema: z.ZodType): Record<string, unknown> {
  // "input": what the model must send (fields with defaults are optional).
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: "input" }) as Record<string, unknown>;
  if (json.type !== "object") throw new Error(`tool ${name}: the argument schema must be an object`);
  return json;
}

/** The tool's definition for an LLM request. */
export function toolDefinition(tool: AnyTool): ToolDefinition {
  return { name: tool.name, description: tool.description, parameters: tool.parameters };
}
