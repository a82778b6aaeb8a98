import { AppError, describeError, type ErrorCode, type FieldIssue, isAppError } from "@conclave/errors";
import type { z } from "zod";
import type { ToolContext } from "./tool.js";
import type { ToolRegistry } from "./tool-registry.js";

/** One tool call as the executor hands it over: what the model asked for, and what the agent may do. */
export interface RunToolInput {
  name: string;
  /** The arguments exactly as the model sent them; validated here. */
  args: unknown;
  /** The agent's allowed tools: anything else is refused, whatever the model says. */
  allowedTools: readonly string[];
  /** Tightens the tool's own timeout (e.g. to what is left of the turn); never extends it. */
  timeoutMs?: number;
  /** A person approved this call (needed for tools with `requiresApproval`). */
  approved?: boolean;
  groupId?: string;
  /** The account the call is charged to (see `ToolContext.accountId`). */
  accountId?: string;
  /** The call's ledger key (`toolCallKey`), handed to the tool so outside side effects can be deduplicated. */
  idempotencyKey?: string;
  /** The calling agent and its turn (see `ToolContext.agent`). */
  agent?: { id: string; name: string };
  turnId?: string;
  /** Aborts the run, e.g. on shutdown. */
  signal?: AbortSignal;
}

/** A tool failure in a shape the model can read and the executor can record. */
export interface ToolErrorInfo {
  code: ErrorCode;
  message: string;
  fields: FieldIssue[];
  /** Whether running the same call again may succeed. */
  retryable: boolean;
}

/** The outcome of one tool run: its JSON-safe result, or a structured error. */
export type ToolRunResult = { ok: true; result: unknown } | { ok: false; error: ToolErrorInfo };

/** The largest result, as JSON, a tool may return to the model. */
export const MAX_TOOL_RESULT_CHARS = 200_000;

/** Runs one tool call: checks the allow-list, approval and arguments, enforces the timeout, never throws. */
export async function runTool(registry: ToolRegistry, input: RunToolInput): Promise<ToolRunResult> {
  try {
    return { ok: true, result: await runChecked(registry, input) };
  } catch (e) {
    return { ok: false, error: toToolError(input.name, e) };
  }
}

async function runChecked(registry: ToolRegistry, input: RunToolInput): Promise<unknown> {
  const { name } = input;
  if (!input.allowedTools.includes(name))
    throw new AppError("forbidden", `tool ${name} is not allowed for this agent`);
  const tool = registry.get(name);
  if (!tool) throw new AppError("not_found", `there is no tool named ${name}`);
  if (tool.requiresApproval && input.approved !== true)
    throw new AppError("forbidden", `tool ${name} needs a person's approval before it runs`);
  const parsed = tool.schema.safeParse(input.args);
  if (!parsed.success)
    throw new AppError("validation", `invalid arguments for tool ${name}`, {
      fields: zodFieldIssues(parsed.error),
    });

  const timeoutMs = Math.max(1, Math.min(tool.timeoutMs, input.timeoutMs ?? Number.POSITIVE_INFINITY));
  const timeout = new AppError("timeout", `tool ${name} did not finish within ${timeoutMs} ms`);
  const controller = new AbortController();
  const onCancel = () => controller.abort(new AppError("unavailable", `tool ${name} was cancelled`));
  if (input.signal?.aborted) onCancel();
  input.signal?.addEventListener("abort", onCancel, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => controller.abort(timeout), timeoutMs);
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  // Rejects on every path (the finally aborts too); only the race below cares.
  stopped.catch(() => {});
  const ctx: ToolContext = {
    signal: controller.signal,
    limits: { timeoutMs, deadline: Date.now() + timeoutMs },
    ...(input.groupId === undefined ? {} : { groupId: input.groupId }),
    ...(input.accountId === undefined ? {} : { accountId: input.accountId }),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    ...(input.agent === undefined ? {} : { agent: input.agent }),
    ...(input.turnId === undefined ? {} : { turnId: input.turnId }),
  };
  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    const result = await Promise.race([tool.run(parsed.data, ctx), stopped]);
    return checkResult(name, result);
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener("abort", onCancel);
    // Ends anything the tool still has in flight once its answer is in.
    if (!controller.signal.aborted) controller.abort(new AppError("unavailable", `tool ${name} finished`));
  }
}

function checkResult(name: string, result: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (e) {
    throw new AppError("internal", `tool ${name} returned a result that is not JSON`, { cause: e });
  }
  if (json === undefined) return null;
  if (json.length > MAX_TOOL_RESULT_CHARS)
    throw new AppError(
      "payload_too_large",
      `tool ${name} returned more than ${MAX_TOOL_RESULT_CHARS} characters`,
    );
  return JSON.parse(json);
}

/** Every failing path of a zod error, as `a.b.0` paths (unknown keys each get their own entry). */
export function zodFieldIssues(error: z.ZodError): FieldIssue[] {
  const fields: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        fields.push({ path: path === "" ? key : `${path}.${key}`, message: "unknown argument" });
    } else fields.push({ path, message: issue.message });
  }
  return fields;
}

function toToolError(name: string, e: unknown): ToolErrorInfo {
  if (isAppError(e)) return { code: e.code, message: e.message, fields: e.fields, retryable: !e.permanent };
  return {
    code: "internal",
    message: `tool ${name} failed unexpectedly: ${describeError(e)}`,
    fields: [],
    retryable: false,
  };
}
