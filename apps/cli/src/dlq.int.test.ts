import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  jetstream,
  jetstreamManager,
  provision,
  publishEnvelope,
  type RunningConsumer,
  runConsumer,
} from "@conclave/bus";
import { AppError } from "@conclave/errors";
import { CONSUMERS, makeEnvelope, newEventId } from "@conclave/subjects";
import { openTestBus, quietLogger, REPO_ROOT, type TestBus, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatList, listDeadLetters, REQUEUED_HEADER, requeueDeadLetter, showDeadLetter } from "./dlq.js";

let bus: TestBus;
const running: RunningConsumer[] = [];
/** Deliveries per event id, per consumer: the first one of a work item fails for good. */
const seen = { recorder: [] as string[], llm: [] as string[] };

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names, { ackWaitMs: 2000 });
  const js = jetstream(bus.nc);
  running.push(
    await runConsumer({
      js,
      names: bus.names,
      stream: bus.names.stream("conv"),
      consumer: CONSUMERS.recorder,
      log: quietLogger(),
      handle: async (e) => {
        seen.recorder.push(e.id);
        if (e.type === "message.posted" && e.payload.content === "refuse once" && seen.recorder.length === 1)
          throw new AppError("permanent", "refused the first time");
      },
    }),
    await runConsumer({
      js,
      names: bus.names,
      stream: bus.names.stream("work"),
      consumer: CONSUMERS.executorLlm,
      log: quietLogger(),
      handle: async (e) => {
        seen.llm.push(e.id);
        if (seen.llm.filter((id) => id === e.id).length === 1)
          throw new AppError("permanent", "provider refused the first time");
      },
    }),
  );
});
afterAll(async () => {
  for (const c of running) await c.stop();
  await bus?.dispose();
});

const groupId = newEventId();

describe("conclave dlq", () => {
  it("lists, shows and requeues a work item's dead letter once, to the pool that failed it", async () => {
    const jsm = await jetstreamManager(bus.nc);
    const id = newEventId();
    const work = makeEnvelope({
      id,
      type: "work.llm",
      groupId,
      turnId: newEventId(),
      causationId: null,
      actor: { kind: "system", id: "conclave" },
      payload: {
        agent: {
          id: newEventId(),
          name: "Ada",
          provider: "scripted",
          model: "scripted",
          systemPrompt: "",
          allowedTools: [],
          scripted: {},
        },
        turnIndex: 0,
        step: 0,
        messages: [{ role: "user", content: "hi" }],
      },
    });
    const { seq } = await publishEnvelope(jetstream(bus.nc), bus.names, work);
    const [letter] = await waitUntil("the dead letter", async () => {
      const l = await listDeadLetters(jsm, bus.names, { stream: "work" });
      return l.length > 0 ? l : undefined;
    });
    expect(letter).toMatchObject({
      stream: bus.names.stream("work"),
      consumer: CONSUMERS.executorLlm,
      subject: bus.names.workSubject("llm"),
      seq,
      reason: "permanent: provider refused the first time",
    });
    expect(formatList([letter ?? ({} as never)])).toContain("executor-llm");
    const shown = await showDeadLetter(jsm, bus.names, letter?.dlqSeq ?? 0);
    expect(shown.headers["Conclave-Dlq-Reason"]).toBe("permanent: provider refused the first time");
    expect(JSON.parse(shown.body)).toMatchObject({ id, type: "work.llm" });

    const done = await requeueDeadLetter(bus.nc, jsm, bus.names, letter?.dlqSeq ?? 0);
    expect(done.subject).toBe(bus.names.workSubject("llm"));
    await waitUntil("the failed pool to get it again", () => seen.llm.filter((x) => x === id).length === 2);
    const again = await jsm.streams.getMessage(bus.names.stream("work"), { seq: done.seq }).catch(() => null);
    // Acked and gone from the work queue, or still there carrying where it came from.
    if (again) expect(again.header.get(REQUEUED_HEADER)).toBe(String(letter?.dlqSeq));
    await expect(requeueDeadLetter(bus.nc, jsm, bus.names, letter?.dlqSeq ?? 0)).rejects.toThrow(
      /was requeued at .*--force/,
    );
    const [listed] = await listDeadLetters(jsm, bus.names, { stream: "work" });
    expect(listed?.requeued?.seq).toBe(done.seq);
  });

  it("requeues a conversation event at a new seq, and refuses a body no consumer can read", async () => {
    const jsm = await jetstreamManager(bus.nc);
    const id = newEventId();
    await publishEnvelope(
      jetstream(bus.nc),
      bus.names,
      makeEnvelope({
        id,
        type: "message.posted",
        groupId,
        turnId: id,
        causationId: null,
        actor: { kind: "user", id: "u" },
        payload: { messageId: id, content: "refuse once" },
      }),
    );
    const poison = await jetstream(bus.nc).publish(bus.names.convSubject(groupId, "message.posted"), "{nope");
    const letters = await waitUntil("two conv letters", async () => {
      const l = await listDeadLetters(jsm, bus.names, { stream: "conv" });
      return l.length >= 2 ? l : undefined;
    });
    const refused = letters.find((l) => l.seq !== poison.seq);
    const unreadable = letters.find((l) => l.seq === poison.seq);
    expect(unreadable?.reason).toBe("body is not JSON");
    await expect(requeueDeadLetter(bus.nc, jsm, bus.names, unreadable?.dlqSeq ?? 0)).rejects.toThrow(
      /cannot be requeued: body is not JSON/,
    );
    const done = await requeueDeadLetter(bus.nc, jsm, bus.names, refused?.dlqSeq ?? 0);
    expect(done.seq).toBeGreaterThan(poison.seq);
    await waitUntil("the recorder to get it again", () => seen.recorder.filter((x) => x === id).length === 2);
    expect((await listDeadLetters(jsm, bus.names, { limit: 1 })).length).toBe(1);
  });

  it("prints its usage and exits 2 on a bad command line", async () => {
    const main = join(REPO_ROOT, "apps/cli/src/main.ts");
    const run = promisify(execFile);
    const failed = await run(process.execPath, ["--import", "tsx", main, "dlq", "frobnicate"], {
      cwd: REPO_ROOT,
      env: { ...process.env, CONCLAVE_NS: bus.names.ns },
    }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain("dlq list [--stream conv|work] [--limit N]");
    expect(failed?.stderr).toContain("dlq requeue <dlqSeq> [--force]");
  });
});
