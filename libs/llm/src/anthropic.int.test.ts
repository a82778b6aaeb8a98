import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicWire } from "./testing/anthropic-wire.js";
import { type FakeServer, startFakeServer } from "./testing/fake-http-server.js";
import { describeProviderConformance, toolConversation } from "./testing/provider-conformance.js";

describeProviderConformance(anthropicWire);

describe("anthropic request mapping", () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeServer("anthropic", anthropicWire.check);
  });
  afterAll(() => server.close());

  it("sends the system prompt apart, tool calls as tool_use and their results together in one user turn", async () => {
    server.enqueue(
      anthropicWire.text({ chunks: ["ok"], model: "m", usage: { input: 1, output: 1, cached: 0 } }),
    );
    await anthropicWire.create(server.url).complete(toolConversation("anthropic", "claude-test-1"));
    expect(server.requests[0]?.body).toEqual({
      model: "claude-test-1",
      max_tokens: 256,
      stream: true,
      system: "Be brief.",
      temperature: 0.2,
      messages: [
        { role: "user", content: "Weather in Paris, and news?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Checking." },
            { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "call_2", name: "search", input: { q: "news" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "call_1", content: "18C" },
            { type: "tool_result", tool_use_id: "call_2", content: "boom", is_error: true },
          ],
        },
        { role: "user", content: "Thanks." },
      ],
      tools: [
        {
          name: "get_weather",
          description: "Weather for a city",
          input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ],
    });
  });
});
