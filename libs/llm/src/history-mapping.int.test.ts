import { afterAll, describe, expect, it } from "vitest";
import type { CompletionRequest } from "./provider.js";
import { anthropicWire } from "./testing/anthropic-wire.js";
import { type FakeServer, startFakeServer } from "./testing/fake-http-server.js";
import { googleWire } from "./testing/google-wire.js";
import { openAiWire } from "./testing/openai-wire.js";
import type { ProviderWire } from "./testing/provider-wire.js";

// A prompt with memory, as the orchestrator sends it: a person's earlier message and another
// agent's answer attributed by name (in the text and in `name`), the agent's own earlier answer in
// the assistant role, then the new message. Each adapter maps it to its API's convention.
const withHistory = (provider: string, model: string): CompletionRequest => ({
  agent: {
    id: "0190a0a0-0000-7000-8000-000000000003",
    name: "Ada",
    provider,
    model,
    systemPrompt: "Be brief.",
  },
  messages: [
    { role: "user", name: "Lin Wu", content: "[Lin Wu]: My name is Lin." },
    { role: "assistant", content: "Nice to meet you, Lin." },
    { role: "user", name: "Bob", content: "[Bob]: Hello Lin." },
    { role: "user", content: "[vote] The group chose Bob's answer, 2 of 3 votes." },
    { role: "user", name: "Lin Wu", content: "What is my name?" },
  ],
  turnIndex: 1,
});

async function sent(wire: ProviderWire, server: FakeServer): Promise<unknown> {
  const model = wire.model;
  server.enqueue(wire.text({ chunks: ["ok"], model, usage: { input: 1, output: 1, cached: 0 } }));
  await wire.create(server.url).complete(withHistory(wire.name, model));
  return server.requests.at(-1)?.body;
}

describe("history as each provider is sent it", () => {
  const servers: FakeServer[] = [];
  const serve = async (wire: ProviderWire) => {
    const s = await startFakeServer(wire.name, wire.check);
    servers.push(s);
    return s;
  };
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it("OpenAI-compatible: one message each, authors in `name` (API-safe) and in the text", async () => {
    const body = (await sent(openAiWire, await serve(openAiWire))) as { messages: unknown[] };
    expect(body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", name: "Lin_Wu", content: "[Lin Wu]: My name is Lin." },
      { role: "assistant", content: "Nice to meet you, Lin." },
      { role: "user", name: "Bob", content: "[Bob]: Hello Lin." },
      { role: "user", content: "[vote] The group chose Bob's answer, 2 of 3 votes." },
      { role: "user", name: "Lin_Wu", content: "What is my name?" },
    ]);
  });

  it("Anthropic: turns alternate; consecutive user messages are text blocks of one turn", async () => {
    const body = (await sent(anthropicWire, await serve(anthropicWire))) as {
      system: unknown;
      messages: unknown[];
    };
    expect(body.system).toBe("Be brief.");
    expect(body.messages).toEqual([
      { role: "user", content: "[Lin Wu]: My name is Lin." },
      { role: "assistant", content: "Nice to meet you, Lin." },
      {
        role: "user",
        content: [
          { type: "text", text: "[Bob]: Hello Lin." },
          { type: "text", text: "[vote] The group chose Bob's answer, 2 of 3 votes." },
          { type: "text", text: "What is my name?" },
        ],
      },
    ]);
  });

  it("Gemini: user and model turns alternate; consecutive user messages are parts of one turn", async () => {
    const body = (await sent(googleWire, await serve(googleWire))) as { contents: unknown[] };
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "[Lin Wu]: My name is Lin." }] },
      { role: "model", parts: [{ text: "Nice to meet you, Lin." }] },
      {
        role: "user",
        parts: [
          { text: "[Bob]: Hello Lin." },
          { text: "[vote] The group chose Bob's answer, 2 of 3 votes." },
          { text: "What is my name?" },
        ],
      },
    ]);
  });
});
