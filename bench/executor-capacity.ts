/**
 * `npm run bench:executor`: how many LLM calls one executor process keeps in flight against a
 * provider that takes 200 ms (a local OpenAI-compatible server streaming its answer), and the
 * process's memory at that load. Work items go straight onto the work stream; answers are counted
 * on the conversation stream.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DeliverPolicy, jetstream, provision, publishEnvelope } from "@conclave/bus";
import { createExecutor, loadConfig } from "@conclave/executor";
import { deriveEventId, makeEnvelope, newEventId } from "@conclave/subjects";
import { openTestBus, quietLogger } from "@conclave/testing";

export interface ExecutorCapacity {
  concurrency: number;
  calls: number;
  answered: number;
  seconds: number;
  callsPerSec: number;
  /** Little's law: calls in flight = rate × time each takes. */
  inFlight: number;
  /** This process's CPU (executor, the simulated provider and the publisher) per answered call. */
  cpuMsPerCall: number;
  peakRssMiB: number;
}

/** A provider that answers each streamed chat completion in `latencyMs`, in five chunks. */
async function startProvider(latencyMs: number) {
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
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => server.close(),
  };
}

/**
 * How many LLM calls one executor keeps in flight against a provider that takes `latencyMs`: work
 * items go straight onto the work stream, answers are counted on the conversation stream.
 */
export async function measureExecutorCapacity(o: {
  calls: number;
  concurrency: number;
  latencyMs: number;
}): Promise<ExecutorCapacity> {
  const { calls, concurrency, latencyMs } = o;
  const provider = await startProvider(latencyMs);
  const bus = await openTestBus();
  const names = bus.names;
  try {
    await provision(bus.nc, names);
    const config = loadConfig({
      CONCLAVE_NS: names.ns,
      EXECUTOR_CONCURRENCY: String(concurrency),
      OPENAI_COMPAT_BASE_URL: provider.baseUrl,
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
    const cpu0 = process.cpuUsage();
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
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    feed.stop();
    await counting.catch(() => undefined);
    await executor.stop();
    const callsPerSec = answered / seconds;
    return {
      concurrency,
      calls,
      answered,
      seconds,
      callsPerSec,
      inFlight: callsPerSec * (latencyMs / 1000),
      cpuMsPerCall: (cpu.user + cpu.system) / 1000 / Math.max(1, answered),
      peakRssMiB: peakRss / 1048576,
    };
  } finally {
    await bus.dispose();
    provider.close();
  }
}

// Run alone: a row per concurrency level.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: flags } = parseArgs({
    options: {
      calls: { type: "string", default: "3000" },
      concurrency: { type: "string", default: "256,512,1024" },
      latency: { type: "string", default: "200" },
    },
  });
  const calls = Number(flags.calls);
  const latencyMs = Number(flags.latency);
  const rows: string[] = [];
  for (const concurrency of (flags.concurrency ?? "").split(",").map(Number)) {
    const r = await measureExecutorCapacity({ calls, concurrency, latencyMs });
    process.stderr.write(
      `concurrency ${concurrency}: ${r.answered}/${calls} answered in ${r.seconds.toFixed(1)} s\n`,
    );
    rows.push(
      `${String(concurrency).padStart(11)}  ${String(r.answered).padStart(8)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.callsPerSec.toFixed(0).padStart(8)}  ${r.inFlight.toFixed(0).padStart(9)}  ${r.cpuMsPerCall.toFixed(2).padStart(11)}  ${r.peakRssMiB.toFixed(0).padStart(12)}`,
    );
  }
  console.log(
    `\n${calls} LLM calls, provider latency ${latencyMs} ms (streamed in 5 chunks), one executor process`,
  );
  console.log("concurrency  answered  seconds  calls/s  in flight  cpu ms/call  peak RSS MiB");
  for (const r of rows) console.log(r);
}
