import { AppError } from "@conclave/errors";

/** A tool offered to the model: its name, what it does, and the JSON schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** A JSON schema whose root is `{ "type": "object", ... }`. */
  parameters: Record<string, unknown>;
}

/** A tool the model asked to run, with its parsed JSON arguments. */
export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
  /** Opaque provider data to send back with this call on the next turn (Gemini's thought signature). */
  signature?: string;
}

/**
 * Parses the JSON arguments a model streamed for a tool call. Invalid JSON is `unavailable`: the
 * model's output was malformed, and asking again usually gives a valid one.
 */
export function parseToolArgs(provider: string, toolName: string, json: string): Record<string, unknown> {
  if (json.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new AppError("unavailable", `${provider}: tool ${toolName} got arguments that are not JSON`, {
      cause: e,
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new AppError("unavailable", `${provider}: tool ${toolName} got arguments that are not an object`);
  return value as Record<string, unknown>;
}
