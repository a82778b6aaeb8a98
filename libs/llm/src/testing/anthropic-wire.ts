import { createAnthropicProvider } from "../anthropic.js";
import { isRecord } from "../json-guards.js";
import { type ProviderWire, pieces, type WireUsage } from "./provider-wire.js";

const KEY = "test-anthropic-key";

/** Anthropic Messages API: `event:`-named SSE frames, as its streaming reference lists them. */
const frame = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const start = (model: string, usage: WireUsage) =>
  frame("message_start", {
    message: {
      id: "msg_test_1",
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Anthropic counts cache reads apart from input_tokens.
      usage: {
        input_tokens: usage.input - usage.cached,
        cache_read_input_tokens: usage.cached,
        cache_creation_input_tokens: 0,
        output_tokens: 1,
      },
    },
  });

const end = (stopReason: string, usage: WireUsage) => [
  frame("message_delta", {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.output },
  }),
  frame("message_stop", {}),
];

const textBlock = (index: number, chunks: string[]) => [
  frame("content_block_start", { index, content_block: { type: "text", text: "" } }),
  ...chunks.map((text) => frame("content_block_delta", { index, delta: { type: "text_delta", text } })),
  frame("content_block_stop", { index }),
];

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  429: "rate_limit_error",
  500: "api_error",
  503: "overloaded_error",
  529: "overloaded_error",
};

export const anthropicWire: ProviderWire = {
  name: "anthropic",
  model: "claude-test-1",
  create: (baseUrl) => createAnthropicProvider({ apiKey: KEY, baseUrl }),
  check(req) {
    if (req.method !== "POST" || req.path !== "/v1/messages") return `no route ${req.method} ${req.path}`;
    const auth = req.headers["x-api-key"] === KEY || req.headers.authorization === `Bearer ${KEY}`;
    if (!auth) return "missing or wrong API key";
    if (!req.headers["anthropic-version"]) return "missing anthropic-version";
    const b = req.body;
    if (!isRecord(b) || b.stream !== true || typeof b.model !== "string" || typeof b.max_tokens !== "number")
      return "body needs stream: true, model and max_tokens";
    if (!Array.isArray(b.messages)) return "body needs messages";
    return undefined;
  },
  text: ({ chunks, model, usage }) => ({
    kind: "sse",
    frames: [start(model, usage), frame("ping", {}), ...textBlock(0, chunks), ...end("end_turn", usage)],
  }),
  toolUse: ({ text, calls, model, usage }) => ({
    kind: "sse",
    frames: [
      start(model, usage),
      ...textBlock(0, [text]),
      ...calls.flatMap((c, i) => [
        frame("content_block_start", {
          index: i + 1,
          content_block: { type: "tool_use", id: c.id, name: c.name, input: {} },
        }),
        ...pieces(JSON.stringify(c.args)).map((partial_json) =>
          frame("content_block_delta", { index: i + 1, delta: { type: "input_json_delta", partial_json } }),
        ),
        frame("content_block_stop", { index: i + 1 }),
      ]),
      ...end("tool_use", usage),
    ],
  }),
  error: (status, headers) => ({
    kind: "json",
    status,
    headers: { "request-id": "req_test", ...headers },
    body: { type: "error", error: { type: ERROR_TYPES[status] ?? "api_error", message: `status ${status}` } },
  }),
  broken: (chunks) => ({
    kind: "sse",
    frames: [
      start("claude-test-1", { input: 1, output: 1, cached: 0 }),
      frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ...chunks.map((text) =>
        frame("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
      ),
      frame("error", { error: { type: "overloaded_error", message: "Overloaded" } }),
    ],
  }),
  truncated: (chunks) => ({
    kind: "sse",
    frames: [
      start("claude-test-1", { input: 1, output: 1, cached: 0 }),
      frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ...chunks.map((text) =>
        frame("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
      ),
    ],
  }),
};
