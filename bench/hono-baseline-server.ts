/**
 * The raw baseline's server (a child process of `measureHonoPost`): a bare Hono app on
 * @hono/node-server that takes `POST /v1/groups/:groupId/messages`, publishes an envelope of the
 * edge's shape to JetStream, awaits the PubAck and answers 202 with the ids, as the edge does;
 * nothing else (no auth, access check, rate limit, validation, settings). Prints `listening <port>`.
 */
import { randomUUID } from "node:crypto";
import { connectBus, jetstream } from "@conclave/bus";
import { quietLogger } from "@conclave/testing";
import { serve } from "@hono/node-server";
import { headers } from "@nats-io/transport-node";
import { Hono } from "hono";

const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const ns = process.env.BASELINE_NS;
if (!ns) throw new Error("BASELINE_NS is not set");

const nc = await connectBus({ url: natsUrl, name: `${ns}-hono-baseline`, log: quietLogger("hono-baseline") });
const js = jetstream(nc);

const app = new Hono();
app.post("/v1/groups/:groupId/messages", async (c) => {
  const groupId = c.req.param("groupId");
  const body = (await c.req.json()) as { content?: unknown };
  const messageId = randomUUID();
  const turnId = randomUUID();
  const event = {
    id: messageId,
    type: "message.posted",
    v: 1,
    groupId,
    turnId,
    causationId: null,
    at: new Date().toISOString(),
    actor: { kind: "user", id: groupId },
    payload: { messageId, content: body.content },
  };
  const h = headers();
  h.set("Conclave-Type", event.type);
  const ack = await js.publish(`${ns}.conv.${groupId}.message.posted`, JSON.stringify(event), {
    msgID: messageId,
    headers: h,
    timeout: 3000,
  });
  return c.json({ messageId, turnId, seq: ack.seq }, 202);
});

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.once("SIGTERM", () => {
  server.close();
  void nc.close().finally(() => process.exit(0));
});
