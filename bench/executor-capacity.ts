/**
 * `npm run bench:executor`: how many LLM calls one executor process keeps in flight against a
 * provider that takes 200 ms (a local OpenAI-compatible server streaming its answer), and the
 * process's memory at that load. Work items go straight onto the work stream; answers are counted
 * on the conversation stream.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { DeliverPolicy, jetstream, provision, publishEnvelope } from "@conclave/bus";
import { createExecutor, loadConfig } from "@conclave/executor";
import { deriveEventId, makeEnvelope, newEventId } from "@conclave/subjects";
import { openTestBus, quietLogger } from "@conclave/testing";

const { values: flags } = parseArgs({
  options: {
    calls: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "256,512,1024" },
    latency: { type: "string", default: "200" },
  },
});
const calls = Number(flags.calls);
const latencyMs = Number(flags.latency);
const levels = (flags.concurrency ?? "").split(",").map(Number);
const progress = (line: string) => process.stderr.write(`${line}\n`);

// The provider: answers each streamed chat completion in `latencyMs`, in five chunks.
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    const words = ["one", " two", " three", " four", " five"];
    let i = 0;
    const tick = setInterval(() => {
      const w = words[i++];
      if (w !== undefined) {
        res.write(
          `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "sim", choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`,
        );
        return;
      }
      clearInterval(tick);
      res.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model: "sim", choices: [], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
    }, latencyMs / 5);
  });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;

const rows: string[] = [];
for (const concurrency of levels) {
  const bus = await openTestBus();
  const names = bus.names;
  await provision(bus.nc, names);
  const config = loadConfig({
    CONCLAVE_NS: names.ns,
    EXECUTOR_CONCURRENCY: String(concurrency),
    OPENAI_COMPAT_BASE_URL: baseUrl,
    LLM_ATTEMPT_TIMEOUT_MS: "30000",
  });
  const executor = createExecutor({ config, nc: bus.nc, log: quietLogger("executor") });
  await executor.start();
  const js = jetstream(bus.nc);
  const groupId = newEventId();
  const agent = {
    id: newEventId(),
    name: "Sim",
    provider: "openai-compatible" as const,
    model: "sim",
    systemPrompt: "",
    allowedTools: [],
    scripted: {},
  };

  // Count answers as they land on the conversation stream.
  let answered = 0;
  const consumer = await js.consumers.get(names.stream("conv"), {
    filter_subjects: names.convFilter(),
    deliver_policy: DeliverPolicy.New,
  });
  const feed = await consumer.consume();
  const counting = (async () => {
    for await (const m of feed) if (m.subject.endsWith(".agent.replied")) answered++;
  })();

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const turnId = newEventId();
    await publishEnvelope(
      js,
      names,
      makeEnvelope({
        id: deriveEventId(turnId, "work"),
        type: "work.llm",
        groupId,
        turnId,
        causationId: null,
        actor: { kind: "agent", id: agent.id },
        payload: { agent, turnIndex: 0, step: 0, messages: [{ role: "user", content: `question ${i}` }] },
      }),
    );
  }
  while (answered < calls && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const perSecond = answered / seconds;
  // Little's law: calls in flight = rate × time each takes.
  const inFlight = perSecond * (latencyMs / 1000);
  const row = `${String(concurrency).padStart(11)}  ${String(answered).padStart(8)}  ${seconds.toFixed(1).padStart(7)}  ${perSecond.toFixed(0).padStart(8)}  ${inFlight.toFixed(0).padStart(9)}  ${(peakRss / 1048576).toFixed(0).padStart(12)}`;
  rows.push(row);
  progress(`concurrency ${concurrency}: ${answered}/${calls} answered in ${seconds.toFixed(1)} s`);
  feed.stop();
  await counting.catch(() => undefined);
  await executor.stop();
  await bus.dispose();
}
console.log(
  `\n${calls} LLM calls, provider latency ${latencyMs} ms (streamed in 5 chunks), one executor process`,
);
console.log("concurrency  answered  seconds  calls/s  in flight  peak RSS MiB");
for (const r of rows) console.log(r);
server.close();
