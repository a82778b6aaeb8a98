import type { Subscription } from "@conclave/bus";
import type { Envelope } from "@conclave/subjects";
import type { TestBus } from "./namespace.js";

/**
 * Every LLM work item published from now on, as the executor receives it (a core subscription on
 * the work subject sees each message JetStream stores). `stop()` ends the capture.
 */
export function captureLlmWork(bus: TestBus): { items: Envelope<"work.llm">[]; stop(): void } {
  const items: Envelope<"work.llm">[] = [];
  const sub: Subscription = bus.nc.subscribe(bus.names.workSubject("llm"));
  void (async () => {
    for await (const m of sub) items.push(m.json<Envelope<"work.llm">>());
  })();
  return { items, stop: () => sub.unsubscribe() };
}
