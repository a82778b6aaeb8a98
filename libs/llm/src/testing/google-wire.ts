import { createGoogleProvider } from "../google.js";
import { isRecord } from "../json-guards.js";
import type { ProviderWire, WireUsage } from "./provider-wire.js";

const KEY = "test-google-key";
const MODEL = "gemini-test-1";

/** Gemini API `streamGenerateContent?alt=sse`: `data:` frames, each a GenerateContentResponse. */
const frame = (data: Record<string, unknown>) => `data: ${JSON.stringify(data)}\r\n\r\n`;

const usageMetadata = (u: WireUsage) => ({
  promptTokenCount: u.input,
  candidatesTokenCount: u.output,
  cachedContentTokenCount: u.cached,
  totalTokenCount: u.input + u.output,
});

const chunk = (parts: Record<string, unknown>[], model: string, extra: Record<string, unknown> = {}) =>
  frame({
    candidates: [{ content: { role: "model", parts }, index: 0, ...extra }],
    modelVersion: model,
    responseId: "resp_test_1",
  });

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  403: "PERMISSION_DENIED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

export const googleWire: ProviderWire = {
  name: "google",
  model: MODEL,
  create: (baseUrl) => createGoogleProvider({ apiKey: KEY, baseUrl }),
  check(req) {
    const want = `/v1beta/models/${MODEL}:streamGenerateContent`;
    if (req.method !== "POST" || req.path !== want) return `no route ${req.method} ${req.path}`;
    if (req.query.get("alt") !== "sse") return "streaming needs alt=sse";
    if (req.headers["x-goog-api-key"] !== KEY) return "missing or wrong API key";
    if (!isRecord(req.body) || !Array.isArray(req.body.contents)) return "body needs contents";
    return undefined;
  },
  text: ({ chunks, model, usage }) => ({
    kind: "sse",
    frames: chunks.map((text, i) =>
      i === chunks.length - 1
        ? frame({
            candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0, finishReason: "STOP" }],
            modelVersion: model,
            usageMetadata: usageMetadata(usage),
          })
        : chunk([{ text }], model),
    ),
  }),
  toolUse: ({ text, calls, model, usage }) => ({
    kind: "sse",
    frames: [
      chunk([{ text }], model),
      frame({
        candidates: [
          {
            content: {
              role: "model",
              parts: calls.map((c) => ({ functionCall: { id: c.id, name: c.name, args: c.args } })),
            },
            index: 0,
            finishReason: "STOP",
          },
        ],
        modelVersion: model,
        usageMetadata: usageMetadata(usage),
      }),
    ],
  }),
  error: (status, headers) => ({
    kind: "json",
    status,
    ...(headers ? { headers } : {}),
    body: { error: { code: status, message: `status ${status}`, status: STATUS_NAMES[status] ?? "UNKNOWN" } },
  }),
  broken: (chunks) => ({
    kind: "sse",
    frames: [
      ...chunks.map((text) => chunk([{ text }], MODEL)),
      frame({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }),
    ],
  }),
  truncated: (chunks) => ({ kind: "sse", frames: chunks.map((text) => chunk([{ text }], MODEL)) }),
};
