/**
 * The baseline of `bench/fanout.ts`, run as a process of its own: a bare `ws` server that sends each
 * message of a core NATS subject, as it came, to every connected client (the broadcast loop of the
 * `ws` README). No auth, no subscriptions, no validation: the floor a relay cannot go below.
 *
 * Usage: raw-ws-broadcast.ts <nats url> <subject>; prints `listening <port>` when ready.
 */
import { connect } from "@nats-io/transport-node";
import WebSocket, { WebSocketServer } from "ws";

const [natsUrl, subject] = process.argv.slice(2);
if (!natsUrl || !subject) throw new Error("usage: raw-ws-broadcast.ts <nats url> <subject>");

const nc = await connect({ servers: natsUrl, name: "raw-ws-broadcast" });
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
nc.subscribe(subject, {
  callback: (_err, m) => {
    const frame = Buffer.from(m.data);
    for (const client of wss.clients)
      if (client.readyState === WebSocket.OPEN) client.send(frame, { binary: false });
  },
});
await nc.flush();
const address = wss.address();
process.stdout.write(`listening ${typeof address === "object" ? address?.port : address}\n`);
process.on("SIGTERM", () => {
  wss.close();
  void nc.close().then(() => process.exit(0));
});
