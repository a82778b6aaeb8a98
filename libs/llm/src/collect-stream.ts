import { AppError } from "@conclave/errors";
import type { Completion, CompletionRequest, LlmProvider, StreamDone, StreamEvent } from "./provider.js";
import type { ToolCall } from "./tool.js";

/** Gathers a stream into one answer: the text joined, the tool calls in order, and its `done`. */
export async function collectStream(events: AsyncIterable<StreamEvent>): Promise<Completion> {
  let content = "";
  const toolCalls: ToolCall[] = [];
  let done: StreamDone | undefined;
  for await (const event of events) {
    if (event.type === "text") content += event.delta;
    else if (event.type === "tool_call") toolCalls.push(event.call);
    else done = event;
  }
  if (!done) throw new AppError("internal", "the stream ended without a done event");
  return {
    content,
    toolCalls,
    provider: done.provider,
    model: done.model,
    usage: done.usage,
    finishReason: done.finishReason,
    skipped: done.skipped,
  };
}

/** A provider made of its stream alone; `complete()` gathers the stream. */
export function providerFromStream(
  name: string,
  stream: (request: CompletionRequest) => AsyncIterable<StreamEvent>,
): LlmProvider {
  return {
    name,
    stream,
    complete: (request) => collectStream(stream(request)),
  };
}
