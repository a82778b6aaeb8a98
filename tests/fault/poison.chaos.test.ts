import { jetstream } from "@conclave/bus";
import { newEventId } from "@conclave/subjects";
import { waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { FaultCase, type FaultSystem, startFaultSystem, writeReport } from "./harness.js";

// Poison on every subject family (a body that is not JSON, and JSON that is no valid envelope),
// published straight into the streams between good messages: nothing may stop the group or its
// feeds, and each poison is dead-lettered once per consumer that reads it, with its reason.
// Then a socket that never reads: it is closed as a slow consumer, and nobody else slows down.

let fs: FaultSystem;
const began = Date.now();

beforeAll(async () => {
  // A small send buffer per socket, so the slow reader overflows after a few MB of events.
  // Room for a group of sixteen agents with long scripted replies.
  fs = await startFaultSystem({
    envFor: { fanout: { WS_MAX_BUFFERED_BYTES: "262144" }, edge: { MAX_BODY_BYTES: "1048576" } },
  });
}, 420_000);
afterAll(async () => {
  if (fs) await writeReport("poison-and-slow-socket", fs.rows, Date.now() - began);
  await fs?.stop();
}, 120_000);

type Family = "message.posted" | "agent.replied" | "turn.completed" | "work.llm" | "work.tool" | "work.timer";
const FAMILIES: Family[] = [
  "message.posted",
  "agent.replied",
  "turn.completed",
  "work.llm",
  "work.tool",
  "work.timer",
];
const KINDS = ["non-JSON", "schema-invalid"] as const;

/**
 * The durable consumers that read each family: each must dead-letter the poison once. The
 * orchestrator acks its own announcements (turn.completed among them) unread, so only the
 * recorder reads those, and the orchestrator must not terminate them.
 */
const READERS: Record<Family, string[]> = {
  "message.posted": ["orchestrator", "recorder"],
  "agent.replied": ["orchestrator", "recorder"],
  "turn.completed": ["recorder"],
  "work.llm": ["executor-llm"],
  "work.tool": ["executor-tool"],
  "work.timer": ["orchestrator-timers"],
};

function subjectOf(family: Family, groupId: string): string {
  const n = fs.sys.bus.names;
  return family.startsWith("work.")
    ? n.workSubject(family.slice(5) as "llm" | "tool" | "timer")
    : n.convSubject(groupId, family);
}

/** Publishes one poison; returns its stream and seq. */
async function poison(family: Family, kind: (typeof KINDS)[number], groupId: string) {
  const body =
    kind === "non-JSON"
      ? `{not json: ${family}`
      : JSON.stringify({
          id: newEventId(),
          type: family,
          v: 1,
          groupId,
          turnId: newEventId(),
          causationId: null,
          at: new Date().toISOString(),
          actor: { kind: "user", id: "poison" },
          payload: { bogus: true },
        });
  const ack = await jetstream(fs.sys.bus.nc).publish(subjectOf(family, groupId), body, {
    msgID: newEventId(),
  });
  return { stream: ack.stream, seq: ack.seq };
}

/** The dead letters of one poisoned message, by consumer. */
async function deadLetters(stream: string, seq: number) {
  const js = jetstream(fs.sys.bus.nc);
  const consumer = await js.consumers.get(fs.sys.bus.names.stream("dlq"));
  const found: { consumer: string; reason: string }[] = [];
  for (let i = 0; i < 10_000; i++) {
    const m = await consumer.next({ expires: 1000 });
    if (!m) break;
    if (m.headers?.get("Conclave-Dlq-Stream") === stream && m.headers.get("Conclave-Dlq-Seq") === String(seq))
      found.push({
        consumer: m.headers.get("Conclave-Dlq-Consumer"),
        reason: m.headers.get("Conclave-Dlq-Reason"),
      });
    if (m.info.pending === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return found;
}

/** How many times each consumer logged terminating this message. */
function terminations(seq: number, readers: string[]) {
  const counts: Record<string, number> = Object.fromEntries(readers.map((r) => [r, 0]));
  for (const app of fs.sys.apps)
    for (const line of app.lines) {
      if (!line.includes("message terminated and dead-lettered")) continue;
      const l = JSON.parse(line) as { consumer?: string; seq?: number };
      if (l.seq === seq && l.consumer && l.consumer in counts)
        counts[l.consumer] = (counts[l.consumer] ?? 0) + 1;
    }
  return counts;
}

const poisoned = new Map<string, { stream: string; seq: number }>();

describe.concurrent("poison on every subject family", () => {
  it.each(FAMILIES.flatMap((f) => KINDS.map((k) => [f, k] as const)))(
    "%s, %s: the group and its feeds go on",
    async (family, kind) => {
      const c = new FaultCase(fs, `poison ${family} (${kind})`);
      const [groupId] = (await c.createGroups(1)) as [string];
      await c.openSockets(1);
      await c.load(1);
      poisoned.set(`${family} ${kind}`, await poison(family, kind, groupId));
      c.faultEnded();
      await c.load(2);
      const r = await c.settleAndCheck(60_000);
      expect(r.violations).toEqual([]);
      expect(r).toMatchObject({ accepted: 3, outcomes: 3, lost: 0, duplicated: 0, stalls: 0 });
    },
  );
});

describe("dead letters of the poison", () => {
  it.each(FAMILIES.flatMap((f) => KINDS.map((k) => [f, k] as const)))(
    "%s, %s: one dead letter per consumer, with its reason, terminated once",
    async (family, kind) => {
      const at = poisoned.get(`${family} ${kind}`);
      expect(at, "the poison case ran").toBeDefined();
      if (!at) return;
      const readers = READERS[family];
      const letters = await waitUntil(
        "a dead letter from every reader",
        async () => {
          const found = await deadLetters(at.stream, at.seq);
          return readers.every((r) => found.some((f) => f.consumer === r)) ? found : undefined;
        },
        20_000,
        500,
      ).catch(async () => deadLetters(at.stream, at.seq));
      expect(letters.map((l) => l.consumer).sort()).toEqual([...readers].sort());
      for (const l of letters) expect(l.reason, `${l.consumer}'s reason`).toMatch(/JSON|schema/);
      // Give redeliveries time to show: a terminated message must not come back.
      await new Promise((r) => setTimeout(r, 2000));
      expect(terminations(at.seq, readers)).toEqual(Object.fromEntries(readers.map((r) => [r, 1])));
      if (!readers.includes("orchestrator"))
        expect(terminations(at.seq, ["orchestrator"])).toEqual({ orchestrator: 0 });
    },
  );
});

describe("a socket that does not read", () => {
  it("is closed as a slow consumer, and the other sockets and the turns do not slow down", async () => {
    const c = new FaultCase(fs, "slow socket");
    // Sixteen agents answering 20 kB each: several MB of events, more than the socket buffers hold.
    const agents = Array.from({ length: 16 }, (_, i) => ({
      name: `Talker ${i}`,
      // One word: the scripted provider streams a delta per word, and 10,000 of them would flood NATS.
      scripted: { replies: [`${i}`.repeat(20_000).slice(0, 20_000)] },
    }));
    await c.createGroups(2, { agents });
    await c.openSockets(2);
    const slow = new WebSocket(fs.sys.streamUrl, {
      headers: { authorization: `Bearer ${fs.sys.user.accessToken}` },
    });
    let closedWith: number | undefined;
    slow.on("close", (code) => (closedWith = code));
    await new Promise<void>((resolve, reject) => {
      slow.once("open", () => resolve());
      slow.once("error", reject);
    });
    for (const g of c.groups) slow.send(JSON.stringify({ type: "subscribe", groupId: g, afterSeq: 0 }));
    slow.pause();
    const fanout = fs.sys.app("fanout");
    const from = fanout.lines.length;
    await c.load(6);
    await waitUntil(
      "the fanout to close the slow socket",
      () => fanout.lines.slice(from).some((l) => l.includes("slow consumer: closing socket")),
      60_000,
    );
    const r = await c.settleAndCheck();
    expect(r.violations).toEqual([]);
    expect(r).toMatchObject({ accepted: 12, outcomes: 12, lost: 0, duplicated: 0, stalls: 0 });
    // Once it reads again it finds the close, with the slow-consumer code.
    slow.resume();
    await waitUntil("the slow socket to see its close", () => closedWith, 60_000);
    expect(closedWith).toBe(4008);
    expect((await fetch(`${fs.sys.fanoutUrl}/readyz`)).status).toBe(200);
  }, 240_000);
});
