import { isRecord } from "../json-guards.js";
import { createOpenAiCompatibleProvider } from "../openai-compatible.js";
import { type ProviderWire, pieces, type WireUsage } from "./provider-wire.js";

const KEY = "test-openai-key";

/** OpenAI Chat Completions streaming: `data:` chunk frames, then `data: [DONE]`. */
const frame = (data: Record<string, unknown>) => `data: ${JSON.stringify(data)}\n\n`;
const DONE = "data: [DONE]\n\n";

const chunk = (model: string, delta: Record<string, unknown>, finish: string | null = null) =>
  frame({
    id: "chatcmpl-test-1",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });

// With stream_options.include_usage, usage comes last, in a chunk whose choices are empty.
const usageChunk = (model: string, u: WireUsage) =>
  frame({
    id: "chatcmpl-test-1",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [],
    usage: {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
      prompt_tokens_details: { cached_tokens: u.cached },
    },
  });

export const openAiWire: ProviderWire = {
  name: "openai-compatible",
  model: "llama-test-1",
  create: (baseUrl) => createOpenAiCompatibleProvider({ baseUrl: `${baseUrl}/v1`, apiKey: KEY }),
  check(req) {
    if (req.method !== "POST" || req.path !== "/v1/chat/completions")
      return `no route ${req.method} ${req.path}`;
    if (req.headers.authorization !== `Bearer ${KEY}`) return "missing or wrong API key";
    const b = req.body;
    if (!isRecord(b) || b.stream !== true || typeof b.model !== "string")
      return "body needs stream: true and model";
    if (!isRecord(b.stream_options) || b.stream_options.include_usage !== true)
      return "body needs stream_options.include_usage";
    if (!Array.isArray(b.messages)) return "body needs messages";
    return undefined;
  },
  text: ({ chunks, model, usage }) => ({
    kind: "sse",
    frames: [
      chunk(model, { role: "assistant", content: "" }),
      ...chunks.map((content) => chunk(model, { content })),
      chunk(model, {}, "stop"),
      usageChunk(model, usage),
      DONE,
    ],
  }),
  toolUse: ({ text, calls, model, usage }) => ({
    kind: "sse",
    frames: [
      chunk(model, { role: "assistant", content: text }),
      ...calls.flatMap((c, index) => [
        chunk(model, {
          tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }],
        }),
        ...pieces(JSON.stringify(c.args)).map((args) =>
          chunk(model, { tool_calls: [{ index, function: { arguments: args } }] }),
        ),
      ]),
      chunk(model, {}, "tool_calls"),
      usageChunk(model, usage),
      DONE,
    ],
  }),
  error: (status, headers) => ({
    kind: "json",
    status,
    ...(headers ? { headers } : {}),
    body: { error: { message: `status ${status}`, type: "server_error", code: null } },
  }),
  broken: (chunks) => ({
    kind: "sse",
    frames: [
      chunk("llama-test-1", { role: "assistant", content: "" }),
      ...chunks.map((content) => chunk("llama-test-1", { content })),
      frame({ error: { message: "upstream overloaded", code: 503 } }),
    ],
  }),
  truncated: (chunks) => ({
    kind: "sse",
    frames: [
      chunk("llama-test-1", { role: "assistant", content: "" }),
      ...chunks.map((content) => chunk("llama-test-1", { content })),
    ],
  }),
};
