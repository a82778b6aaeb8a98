import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { AppError, describeError, isAppError } from "@conclave/errors";
import { providerFromStream } from "./collect-stream.js";
import type { ChatMessage } from "./message.js";
import type { CompletionRequest, FinishReason, LlmProvider, StreamEvent, Usage } from "./provider.js";
import { abortFailure, httpFailure, ProviderFailure, transportFailure } from "./provider-failure.js";
import { resolveModel, resolveSystem } from "./resolve-request.js";
import { parseToolArgs } from "./tool.js";

export interface AnthropicOptions {
  apiKey: string;
  /** Default `https://api.anthropic.com`. */
  baseUrl?: string;
  /** The name answers report (default `anthropic`). */
  name?: string;
  /** Used when neither the request nor the agent names a model. */
  defaultModel?: string;
  /** `max_tokens` when the request sets none (the Messages API requires one); default 4096. */
  maxOutputTokens?: number;
}

/** Error types the Messages API reports inside a stream that are worth retrying. */
const TRANSIENT_ERROR_TYPES = new Set(["overloaded_error", "api_error", "rate_limit_error", "timeout_error"]);

/**
 * Anthropic's Messages API through `@anthropic-ai/sdk`, streamed (`stream: true`), with the SDK's
 * own retries off: `withResilience` retries every provider the same way.
 */
export function createAnthropicProvider(options: AnthropicOptions): LlmProvider {
  const name = options.name ?? "anthropic";
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseUrl ?? "https://api.anthropic.com",
    maxRetries: 0,
  });

  async function* stream(request: CompletionRequest): AsyncGenerator<StreamEvent> {
    const model = resolveModel(name, request, options.defaultModel);
    const system = resolveSystem(request);
    const signal = request.signal;
    try {
      const events = await client.messages.create(
        {
          model,
          max_tokens: request.maxOutputTokens ?? options.maxOutputTokens ?? 4096,
          messages: toWireMessages(request.messages),
          stream: true,
          ...(system ? { system } : {}),
          ...(request.tools && request.tools.length > 0
            ? {
                tools: request.tools.map((t) => ({
                  name: t.name,
                  description: t.description,
                  input_schema: t.parameters as Anthropic.Tool.InputSchema,
                })),
              }
            : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        },
        { signal },
      );

      let servedModel = model;
      let input = 0;
      let cacheRead = 0;
      let cacheWrite = 0;
      let output = 0;
      let stopReason: string | null = null;
      let stopped = false;
      const tools = new Map<number, { id: string; name: string; json: string; input: unknown }>();

      for await (const event of events) {
        switch (event.type) {
          case "message_start": {
            const u = event.message.usage;
            servedModel = event.message.model || servedModel;
            input = u.input_tokens;
            cacheRead = u.cache_read_input_tokens ?? 0;
            cacheWrite = u.cache_creation_input_tokens ?? 0;
            output = u.output_tokens;
            break;
          }
          case "content_block_start":
            if (event.content_block.type === "tool_use") {
              const b = event.content_block;
              tools.set(event.index, { id: b.id, name: b.name, json: "", input: b.input });
            }
            break;
          case "content_block_delta":
            if (event.delta.type === "text_delta") {
              if (event.delta.text) yield { type: "text", delta: event.delta.text };
            } else if (event.delta.type === "input_json_delta") {
              const tool = tools.get(event.index);
              if (tool) tool.json += event.delta.partial_json;
            }
            break;
          case "content_block_stop": {
            const tool = tools.get(event.index);
            if (tool) {
              const args =
                tool.json === "" && isObject(tool.input)
                  ? tool.input
                  : parseToolArgs(name, tool.name, tool.json);
              yield { type: "tool_call", call: { id: tool.id, name: tool.name, args } };
            }
            break;
          }
          case "message_delta": {
            // message_delta carries cumulative counts; a null means "unchanged".
            const u = event.usage;
            stopReason = event.delta.stop_reason ?? stopReason;
            output = u.output_tokens ?? output;
            input = u.input_tokens ?? input;
            cacheRead = u.cache_read_input_tokens ?? cacheRead;
            cacheWrite = u.cache_creation_input_tokens ?? cacheWrite;
            break;
          }
          case "message_stop":
            stopped = true;
            break;
        }
      }
      // The SDK ends the iteration quietly when the request is aborted mid-stream.
      if (signal?.aborted) throw abortFailure(name, signal);
      if (!stopped) throw transportFailure(name, "the stream ended before message_stop");
      const usage: Usage = {
        inputTokens: input + cacheRead + cacheWrite,
        outputTokens: output,
        cachedTokens: cacheRead,
      };
      yield {
        type: "done",
        provider: name,
        model: servedModel,
        usage,
        finishReason: toFinishReason(stopReason),
        skipped: [],
      };
    } catch (e) {
      throw toAppError(name, e, signal);
    }
  }

  return providerFromStream(name, stream);
}

function toAppError(name: string, e: unknown, signal: AbortSignal | undefined): AppError {
  if (signal?.aborted) return abortFailure(name, signal);
  if (isAppError(e)) return e;
  if (e instanceof APIConnectionTimeoutError)
    return new AppError("timeout", `${name}: timed out`, { cause: e });
  if (e instanceof APIConnectionError) return transportFailure(name, describeError(e), e);
  if (e instanceof APIError) {
    if (typeof e.status === "number")
      return httpFailure(name, e.status, e.apiMessage ?? e.message, { headers: e.headers, cause: e });
    // An `event: error` inside a 200 stream: no status, only the error's type.
    const message = `${name}: ${e.type ?? "error"} in stream: ${e.apiMessage ?? e.message}`;
    return new AppError(e.type && TRANSIENT_ERROR_TYPES.has(e.type) ? "unavailable" : "permanent", message, {
      cause: new ProviderFailure(message, { provider: name, cause: e }),
    });
  }
  return transportFailure(name, describeError(e), e);
}

function toWireMessages(messages: readonly ChatMessage[]): Anthropic.MessageParam[] {
  const out: Anthropic.MessageParam[] = [];
  let results: Anthropic.ToolResultBlockParam[] | undefined;
  for (const m of messages) {
    if (m.role === "tool") {
      // Results of one assistant turn go back together, in one user turn.
      const block: Anthropic.ToolResultBlockParam = {
        type: "tool_result",
        tool_use_id: m.toolCallId,
        content: m.content,
        ...(m.isError ? { is_error: true } : {}),
      };
      if (results) results.push(block);
      else {
        results = [block];
        out.push({ role: "user", content: results });
      }
      continue;
    }
    results = undefined;
    if (m.role === "user") pushText(out, "user", m.content);
    else {
      const calls = m.toolCalls ?? [];
      if (calls.length === 0) {
        if (m.content) pushText(out, "assistant", m.content);
        continue;
      }
      out.push({
        role: "assistant",
        content: [
          ...(m.content ? [{ type: "text" as const, text: m.content }] : []),
          ...calls.map((c) => ({ type: "tool_use" as const, id: c.id, name: c.name, input: c.args })),
        ],
      });
    }
  }
  return out;
}

/**
 * Adds a text turn; one of the same role right after another (history: a person, then another
 * agent) joins it as a further text block, so turns alternate as the API expects.
 */
function pushText(out: Anthropic.MessageParam[], role: "user" | "assistant", text: string): void {
  const last = out.at(-1);
  const plain =
    typeof last?.content === "string" ||
    (last?.content ?? []).every((b) => (b as { type: string }).type === "text");
  if (last?.role !== role || !plain) {
    out.push({ role, content: text });
    return;
  }
  const blocks: Anthropic.ContentBlockParam[] =
    typeof last.content === "string" ? [{ type: "text", text: last.content }] : [...last.content];
  blocks.push({ type: "text", text });
  last.content = blocks;
}

function toFinishReason(reason: string | null): FinishReason {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
      return "length";
    case "refusal":
      return "content_filter";
    default:
      return "other";
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0
  );
}
