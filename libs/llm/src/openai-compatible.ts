import { describeError, isAppError } from "@conclave/errors";
import { providerFromStream } from "./collect-stream.js";
import { createHttpPost, type HttpPost } from "./http-post.js";
import { asArray, asNumber, asString, isRecord } from "./json-guards.js";
import type { ChatMessage } from "./message.js";
import type { CompletionRequest, FinishReason, LlmProvider, StreamEvent, Usage } from "./provider.js";
import { abortFailure, httpFailure, transportFailure } from "./provider-failure.js";
import { resolveModel, resolveSystem } from "./resolve-request.js";
import { parseSse } from "./sse.js";
import { parseToolArgs, type ToolCall } from "./tool.js";

export interface OpenAiCompatibleOptions {
  /**
   * Where the server's OpenAI API lives, e.g. `http://127.0.0.1:11434/v1` (Ollama),
   * `http://127.0.0.1:8000/v1` (vLLM); a bare origin gets `/v1`.
   */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set; local servers usually need none. */
  apiKey?: string;
  /** The name answers report (default `openai-compatible`). */
  name?: string;
  /** Used when neither the request nor the agent names a model. */
  defaultModel?: string;
  /** `max_tokens` when the request sets none; unset leaves it to the server. */
  maxOutputTokens?: number;
  headers?: Record<string, string>;
  /** How requests are sent (default: `node:http` with keep-alive, see `createHttpPost`). */
  post?: HttpPost;
}

/**
 * Any server speaking OpenAI's Chat Completions API (Ollama, vLLM, LM Studio, llama.cpp, …):
 * `POST {baseUrl}/chat/completions` with `stream: true`, read as Server-Sent Events, over plain
 * HTTP and no retries of its own.
 */
export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): LlmProvider {
  const name = options.name ?? "openai-compatible";
  const base = new URL(options.baseUrl);
  if (base.pathname === "/" || base.pathname === "") base.pathname = "/v1";
  const url = `${base.toString().replace(/\/+$/, "")}/chat/completions`;
  const post = options.post ?? defaultPost();

  async function* stream(request: CompletionRequest): AsyncGenerator<StreamEvent> {
    const model = resolveModel(name, request, options.defaultModel);
    const maxTokens = request.maxOutputTokens ?? options.maxOutputTokens;
    const body = {
      model,
      messages: toWireMessages(resolveSystem(request), request.messages),
      stream: true,
      stream_options: { include_usage: true },
      ...(request.tools && request.tools.length > 0
        ? {
            tools: request.tools.map((t) => ({
              type: "function",
              function: { name: t.name, description: t.description, parameters: t.parameters },
            })),
          }
        : {}),
      ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };
    const signal = request.signal;
    try {
      const response = await post(url, {
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify(body),
        signal,
      });
      if (!response.ok) {
        const text = await response.text().catch(() => "");
        throw httpFailure(name, response.status, errorDetail(text), { headers: response.headers });
      }

      let servedModel = model;
      let usage: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
      let finish: string | undefined;
      let sawDone = false;
      const calls = new Map<number, { id: string; name: string; args: string }>();

      for await (const sse of parseSse(response.body)) {
        if (sse.data === "[DONE]") {
          sawDone = true;
          break;
        }
        let chunk: unknown;
        try {
          chunk = JSON.parse(sse.data);
        } catch (e) {
          throw transportFailure(name, "the stream sent a chunk that is not JSON", e);
        }
        if (!isRecord(chunk)) continue;
        if (isRecord(chunk.error)) {
          // vLLM and others report a failure that began after the 200 as an `error` chunk.
          const code = asNumber(chunk.error.code);
          const message = asString(chunk.error.message) ?? "error in stream";
          throw code !== undefined && code >= 400 && code < 600
            ? httpFailure(name, code, message)
            : transportFailure(name, message);
        }
        servedModel = asString(chunk.model) || servedModel;
        if (isRecord(chunk.usage)) usage = toUsage(chunk.usage);
        const choice = asArray(chunk.choices)[0];
        if (!isRecord(choice)) continue;
        const delta = isRecord(choice.delta) ? choice.delta : {};
        const text = asString(delta.content);
        if (text) yield { type: "text", delta: text };
        asArray(delta.tool_calls).forEach((part, position) => {
          if (!isRecord(part)) return;
          const index = asNumber(part.index) ?? position;
          const fn = isRecord(part.function) ? part.function : {};
          const call = calls.get(index) ?? { id: "", name: "", args: "" };
          call.id ||= asString(part.id) ?? "";
          call.name ||= asString(fn.name) ?? "";
          call.args += asString(fn.arguments) ?? "";
          calls.set(index, call);
        });
        finish = asString(choice.finish_reason) ?? finish;
      }
      if (signal?.aborted) throw abortFailure(name, signal);
      if (!sawDone && finish === undefined)
        throw transportFailure(name, "the stream ended before it finished");

      const toolCalls: ToolCall[] = [...calls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, c]) => ({
          id: c.id || `call_${index}`,
          name: c.name,
          args: parseToolArgs(name, c.name, c.args),
        }));
      for (const call of toolCalls) yield { type: "tool_call", call };
      yield {
        type: "done",
        provider: name,
        model: servedModel,
        usage,
        finishReason: toolCalls.length > 0 ? "tool_calls" : toFinishReason(finish),
        skipped: [],
      };
    } catch (e) {
      if (signal?.aborted) throw abortFailure(name, signal);
      if (isAppError(e)) throw e;
      throw transportFailure(name, describeError(e), e);
    }
  }

  return providerFromStream(name, stream);
}

let shared: HttpPost | undefined;
/** One keep-alive pool per process, shared by every provider instance (accounts' own ones too). */
function defaultPost(): HttpPost {
  shared ??= createHttpPost();
  return shared;
}

function toWireMessages(system: string, messages: readonly ChatMessage[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = system ? [{ role: "system", content: system }] : [];
  for (const m of messages) {
    if (m.role === "user") out.push({ role: "user", ...wireName(m.name), content: m.content });
    else if (m.role === "assistant") {
      const calls = m.toolCalls ?? [];
      out.push({
        role: "assistant",
        content: m.content || (calls.length > 0 ? null : ""),
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((c) => ({
                id: c.id,
                type: "function",
                function: { name: c.name, arguments: JSON.stringify(c.args) },
              })),
            }
          : {}),
      });
    } else
      out.push({
        role: "tool",
        tool_call_id: m.toolCallId,
        content: m.isError ? `Error: ${m.content}` : m.content,
      });
  }
  return out;
}

/**
 * Who said a user message, as OpenAI's `name` field (letters, digits, `_` and `-`, at most 64); the
 * text itself also carries the attribution (`[Ada]: …`) for servers that ignore the field.
 */
function wireName(name: string | undefined): { name?: string } {
  const safe = name?.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64);
  return safe ? { name: safe } : {};
}

function toUsage(u: Record<string, unknown>): Usage {
  const details = isRecord(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  return {
    inputTokens: asNumber(u.prompt_tokens) ?? 0,
    outputTokens: asNumber(u.completion_tokens) ?? 0,
    cachedTokens: asNumber(details.cached_tokens) ?? 0,
  };
}

function toFinishReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    default:
      return "other";
  }
}

/** The server's own error message when it sent OpenAI's `{ error: { message } }`, else the raw text. */
function errorDetail(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && isRecord(body.error)) return asString(body.error.message) ?? text;
    if (isRecord(body)) return asString(body.error) ?? asString(body.message) ?? text;
  } catch {
    // not JSON: the text is the detail
  }
  return text;
}
