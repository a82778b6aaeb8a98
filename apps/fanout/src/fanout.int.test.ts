import type { Server } from "node:http";
import type { Socket } from "node:net";
import { jetstream, publishEnvelope } from "@conclave/bus";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import { capturingLogger, openTestBus, StreamClient, type TestBus, waitUntil } from "@conclave/testing";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFanout, type Fanout, loadConfig } from "./app.js";

let bus: TestBus;
let fanout: Fanout;
let server: Server;
let url = "";
const logged = capturingLogger("fanout", "warn");

beforeAll(async () => {
  bus = await openTestBus();
  const config = loadConfig({
    CONCLAVE_NS: bus.names.ns,
    WS_HEARTBEAT_MS: "200",
    WS_MAX_BUFFERED_BYTES: "65536",
  });
  fanout = await createFanout({ config, nc: bus.nc, log: logged.log });
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: fanout.app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(s as Server),
    ) as Server;
  });
  fanout.attach(server);
  const addr = server.address();
  url = `ws://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/v1/stream`;
});
afterAll(async () => {
  await fanout?.stop();
  await new Promise((r) => server?.close(r));
  await bus?.dispose();
});

const publishPosted = (groupId: string, content: string) => {
  const id = newEventId();
  return publishEnvelope(
    jetstream(bus.nc),
    bus.names,
    makeEnvelope({
      id,
      type: "message.posted",
      groupId,
      turnId: newEventId(),
      causationId: null,
      actor: { kind: "user", id: "t" },
      payload: { messageId: id, content },
    }),
  );
};

describe("fanout WebSocket", () => {
  it("sends heartbeats and answers pings", async () => {
    const c = await StreamClient.open(url);
    await c.waitFor("welcome", (f) => f.type === "welcome");
    await c.waitFor("a heartbeat", (f) => f.type === "heartbeat", 2000);
    c.send({ type: "ping" });
    await c.waitFor("pong", (f) => f.type === "pong");
    await c.close();
  });

  it("rejects invalid frames naming the field, and keeps the socket", async () => {
    const c = await StreamClient.open(url);
    c.send({ type: "subscribe", groupId: "prod.conv.*" });
    const err = await c.waitFor("an error", (f) => f.type === "error");
    expect(err).toMatchObject({ code: "invalid_frame", errors: [{ path: "groupId" }] });
    c.ws.send("not json");
    await c.waitFor("a second error", () => c.frames.filter((f) => f.type === "error").length === 2);
    const groupId = newEventId();
    await c.subscribe(groupId, 0);
    await c.close();
  });

  it("replays from afterSeq, then follows the live tail", async () => {
    const groupId = newEventId();
    const first = await publishPosted(groupId, "one");
    await publishPosted(groupId, "two");
    const c = await StreamClient.open(url);
    await c.subscribe(groupId, first.seq);
    await publishPosted(groupId, "three");
    await c.waitFor("three", (f) => f.event?.payload.content === "three");
    expect(c.events(groupId).map((f) => f.event?.payload.content)).toEqual(["two", "three"]);
    await c.close();
  });

  it("closes a client that does not read with 4008 instead of buffering without bound", async () => {
    const groupId = newEventId();
    const c = await StreamClient.open(url);
    await c.subscribe(groupId, 0);
    // Stop reading: the kernel buffers fill, then the server's queue for this socket grows.
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const big = "x".repeat(30_000);
    for (let i = 0; i < 600; i++) await publishPosted(groupId, big);
    await waitUntil(
      "the server to cut the socket",
      () => logged.lines.some((l) => l.includes("slow consumer")),
      20_000,
    );
    socket.resume();
    await waitUntil("the socket to be closed", () => c.closed, 20_000);
    expect(c.closed?.code).toBe(4008);
    expect(c.closed?.reason).toMatch(/slow consumer/);
    expect(c.events(groupId).length).toBeLessThan(600);
  });
});
