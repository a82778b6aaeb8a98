import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { retryAfterOf } from "./provider-failure.js";
import { type FakeServer, startFakeServer } from "./testing/fake-http-server.js";
import { googleWire } from "./testing/google-wire.js";
import { describeProviderConformance, toolConversation } from "./testing/provider-conformance.js";

describeProviderConformance(googleWire);

describe("google request mapping", () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer("google", googleWire.check);
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it("sends systemInstruction, functionCall parts and their functionResponses together in one user turn", async () => {
    server.enqueue(
      googleWire.text({ chunks: ["ok"], model: "m", usage: { input: 1, output: 1, cached: 0 } }),
    );
    await googleWire.create(server.url).complete(toolConversation("google", "gemini-test-1"));
    expect(server.requests[0]?.body).toEqual({
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris, and news?" }] },
        {
          role: "model",
          parts: [
            { text: "Checking." },
            { functionCall: { id: "call_1", name: "get_weather", args: { city: "Paris" } } },
            { functionCall: { id: "call_2", name: "search", args: { q: "news" } } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { id: "call_1", name: "get_weather", response: { output: "18C" } } },
            { functionResponse: { id: "call_2", name: "search", response: { error: "boom" } } },
          ],
        },
        { role: "user", parts: [{ text: "Thanks." }] },
      ],
      systemInstruction: { role: "user", parts: [{ text: "Be brief." }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: "get_weather",
              description: "Weather for a city",
              parametersJsonSchema: {
                type: "object",
                properties: { city: { type: "string" } },
                required: ["city"],
              },
            },
          ],
        },
      ],
      generationConfig: { maxOutputTokens: 256, temperature: 0.2 },
    });
  });

  it("names id-less function calls by position, keeps thought signatures and skips thoughts", async () => {
    const frame = (data: unknown) => `data: ${JSON.stringify(data)}\r\n\r\n`;
    server.enqueue({
      kind: "sse",
      frames: [
        frame({
          candidates: [{ content: { role: "model", parts: [{ text: "pondering", thought: true }] } }],
        }),
        frame({
          candidates: [
            {
              content: {
                role: "model",
                parts: [
                  { functionCall: { name: "get_weather", args: { city: "Oslo" } }, thoughtSignature: "c2ln" },
                  { functionCall: { name: "get_weather", args: { city: "Rome" } } },
                ],
              },
              finishReason: "STOP",
            },
          ],
          usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, thoughtsTokenCount: 6 },
          modelVersion: "gemini-test-1-001",
        }),
      ],
    });
    const c = await googleWire.create(server.url).complete(toolConversation("google", "gemini-test-1"));
    expect(c.content).toBe("");
    expect(c.toolCalls).toEqual([
      { id: "call_0", name: "get_weather", args: { city: "Oslo" }, signature: "c2ln" },
      { id: "call_1", name: "get_weather", args: { city: "Rome" } },
    ]);
    expect(c.usage).toEqual({ inputTokens: 9, outputTokens: 10, cachedTokens: 0 });
    expect(c.model).toBe("gemini-test-1-001");
  });

  it("reads the wait from a RetryInfo detail when there is no Retry-After header", async () => {
    server.enqueue({
      kind: "json",
      status: 429,
      body: {
        error: {
          code: 429,
          message: "Resource exhausted",
          status: "RESOURCE_EXHAUSTED",
          details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" }],
        },
      },
    });
    const e = await googleWire
      .create(server.url)
      .complete(toolConversation("google", "gemini-test-1"))
      .catch((err: unknown) => err);
    expect(retryAfterOf(e)).toBe(37_000);
  });
});
