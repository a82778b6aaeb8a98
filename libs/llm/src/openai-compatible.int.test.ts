import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiCompatibleProvider } from "./openai-compatible.js";
import { type FakeServer, startFakeServer } from "./testing/fake-http-server.js";
import { openAiWire } from "./testing/openai-wire.js";
import { describeProviderConformance, toolConversation } from "./testing/provider-conformance.js";

describeProviderConformance(openAiWire);

describe("openai-compatible request mapping", () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer("openai-compatible", openAiWire.check);
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it("sends the system prompt first, tool_calls with JSON-string arguments, and one tool message per result", async () => {
    server.enqueue(
      openAiWire.text({ chunks: ["ok"], model: "m", usage: { input: 1, output: 1, cached: 0 } }),
    );
    await openAiWire.create(server.url).complete(toolConversation("openai-compatible", "llama-test-1"));
    expect(server.requests[0]?.body).toEqual({
      model: "llama-test-1",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 256,
      temperature: 0.2,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris, and news?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
            { id: "call_2", type: "function", function: { name: "search", arguments: '{"q":"news"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18C" },
        { role: "tool", tool_call_id: "call_2", content: "Error: boom" },
        { role: "user", content: "Thanks." },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Weather for a city",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
      ],
    });
  });

  it("adds /v1 to a bare origin, as Ollama, vLLM, LM Studio and llama.cpp serve it there", async () => {
    server.enqueue(
      openAiWire.text({ chunks: ["hi"], model: "m", usage: { input: 1, output: 1, cached: 0 } }),
    );
    const p = createOpenAiCompatibleProvider({ baseUrl: server.url, apiKey: "test-openai-key" });
    expect((await p.complete(toolConversation("openai-compatible", "llama-test-1"))).content).toBe("hi");
    expect(server.requests[0]?.path).toBe("/v1/chat/completions");
  });

  it("reports invalid tool arguments as unavailable, so the call is asked again", async () => {
    const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
    server.enqueue({
      kind: "sse",
      frames: [
        frame({
          model: "m",
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: 0, id: "c", function: { name: "f", arguments: '{"a":' } }] },
              finish_reason: "tool_calls",
            },
          ],
        }),
        "data: [DONE]\n\n",
      ],
    });
    const e = await openAiWire
      .create(server.url)
      .complete(toolConversation("openai-compatible", "llama-test-1"))
      .catch((err: unknown) => err);
    expect(e).toMatchObject({ code: "unavailable" });
  });
});
