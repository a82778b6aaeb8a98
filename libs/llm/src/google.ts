import { type AppError, describeError, isAppError } from "@conclave/errors";
import { ApiError, type Content, GoogleGenAI, type Part } from "@google/genai";
import { providerFromStream } from "./collect-stream.js";
import { asArray, asString, isRecord } from "./json-guards.js";
import type { ChatMessage } from "./message.js";
import type { CompletionRequest, FinishReason, LlmProvider, StreamEvent, Usage } from "./provider.js";
import { abortFailure, httpFailure, transportFailure } from "./provider-failure.js";
import { resolveModel, resolveSystem } from "./resolve-request.js";
import { retryAfterFromHeaders } from "./retry-after.js";

export interface GoogleOptions {
  apiKey: string;
  /** Default: the SDK's (`https://generativelanguage.googleapis.com/`). */
  baseUrl?: string;
  /** Default: the SDK's (`v1beta`). */
  apiVersion?: string;
  /** The name answers report (default `google`). */
  name?: string;
  /** Used when neither the request nor the agent names a model. */
  defaultModel?: string;
  maxOutputTokens?: number;
}

/**
 * Gemini through `@google/genai` (`generateContentStream`, the Gemini API, not Vertex), with the
 * SDK's retries and automatic continuation off: `withResilience` retries every provider the same way.
 */
export function createGoogleProvider(options: GoogleOptions): LlmProvider {
  const name = options.name ?? "google";
  // The SDK's ApiError keeps only the status; reading failures here keeps `Retry-After` too.
  const checkedFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    throw httpFailure(name, response.status, errorDetail(text), {
      retryAfterMs: retryAfterFromHeaders(response.headers) ?? retryInfoDelay(text),
    });
  };
  const ai = new GoogleGenAI({
    apiKey: options.apiKey,
    vertexai: false,
    httpOptions: {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
      fetch: checkedFetch,
    },
  });

  async function* stream(request: CompletionRequest): AsyncGenerator<StreamEvent> {
    const model = resolveModel(name, request, options.defaultModel);
    const system = resolveSystem(request);
    const maxOutputTokens = request.maxOutputTokens ?? options.maxOutputTokens;
    const signal = request.signal;
    try {
      const responses = await ai.models.generateContentStream({
        model,
        contents: toWireContents(request.messages),
        config: {
          automaticContinuation: false,
          ...(system ? { systemInstruction: system } : {}),
          ...(request.tools && request.tools.length > 0
            ? {
                tools: [
                  {
                    functionDeclarations: request.tools.map((t) => ({
                      name: t.name,
                      description: t.description,
                      parametersJsonSchema: t.parameters,
                    })),
                  },
                ],
              }
            : {}),
          ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(signal ? { abortSignal: signal } : {}),
        },
      });

      let servedModel = model;
      let usage: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
      let finish: string | undefined;
      let blocked = false;
      let calls = 0;
      for await (const chunk of responses) {
        servedModel = chunk.modelVersion || servedModel;
        const u = chunk.usageMetadata;
        // Every chunk may carry the running totals; the last one wins.
        if (u)
          usage = {
            inputTokens: u.promptTokenCount ?? 0,
            outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
            cachedTokens: u.cachedContentTokenCount ?? 0,
          };
        if (chunk.promptFeedback?.blockReason) blocked = true;
        const candidate = chunk.candidates?.[0];
        for (const part of candidate?.content?.parts ?? []) {
          const fc = part.functionCall;
          if (fc) {
            yield {
              type: "tool_call",
              call: {
                // Older Gemini models give no ids; a position is enough to pair results in the next turn.
                id: fc.id || `call_${calls}`,
                name: fc.name ?? "",
                args: fc.args ?? {},
                ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
              },
            };
            calls++;
          } else if (part.text && !part.thought) yield { type: "text", delta: part.text };
        }
        finish = candidate?.finishReason ?? finish;
      }
      if (signal?.aborted) throw abortFailure(name, signal);
      if (finish === undefined && !blocked)
        throw transportFailure(name, "the stream ended before a finishReason");
      yield {
        type: "done",
        provider: name,
        model: servedModel,
        usage,
        finishReason: blocked ? "content_filter" : calls > 0 ? "tool_calls" : toFinishReason(finish),
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
  // An error chunk inside a 200 stream.
  if (e instanceof ApiError && typeof e.status === "number")
    return httpFailure(name, e.status, e.message, { cause: e });
  return transportFailure(name, describeError(e), e);
}

function toWireContents(messages: readonly ChatMessage[]): Content[] {
  const out: Content[] = [];
  let results: Part[] | undefined;
  for (const m of messages) {
    if (m.role === "tool") {
      // Results of one model turn go back together, in one user turn.
      const part: Part = {
        functionResponse: {
          id: m.toolCallId,
          name: m.toolName,
          response: m.isError ? { error: m.content } : { output: m.content },
        },
      };
      if (results) results.push(part);
      else {
        results = [part];
        out.push({ role: "user", parts: results });
      }
      continue;
    }
    results = undefined;
    if (m.role === "user") pushParts(out, "user", [{ text: m.content }]);
    else {
      const parts: Part[] = [
        ...(m.content ? [{ text: m.content }] : []),
        ...(m.toolCalls ?? []).map(
          (c): Part => ({
            functionCall: { id: c.id, name: c.name, args: c.args },
            ...(c.signature ? { thoughtSignature: c.signature } : {}),
          }),
        ),
      ];
      if (parts.length > 0) pushParts(out, "model", parts);
    }
  }
  return out;
}

/**
 * Adds a turn; a text turn of the same role right after another text turn (history: a person, then
 * another agent) joins it as further parts, so user and model turns alternate as the API expects.
 */
function pushParts(out: Content[], role: "user" | "model", parts: Part[]): void {
  const last = out.at(-1);
  // Text after text only: a turn of tool results stays a turn of its own.
  if (last?.role === role && last.parts?.every((p) => p.text !== undefined)) last.parts.push(...parts);
  else out.push({ role, parts });
}

function toFinishReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case "STOP":
      return "stop";
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    default:
      return "other";
  }
}

function errorDetail(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && isRecord(body.error)) return asString(body.error.message) ?? text;
  } catch {
    // not JSON: the text is the detail
  }
  return text;
}

/** The wait in a `google.rpc.RetryInfo` detail of an error body (`"retryDelay": "37s"`), in ms. */
function retryInfoDelay(text: string): number | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (!isRecord(body) || !isRecord(body.error)) return undefined;
    for (const detail of asArray(body.error.details)) {
      if (!isRecord(detail) || !asString(detail["@type"])?.endsWith("google.rpc.RetryInfo")) continue;
      const match = /^(\d+(?:\.\d+)?)s$/.exec(asString(detail.retryDelay) ?? "");
      if (match?.[1]) return Math.round(Number(match[1]) * 1000);
    }
  } catch {
    // not JSON: no RetryInfo
  }
  return undefined;
}
