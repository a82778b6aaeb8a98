import { type OwnNatsServer, startOwnNatsServer } from "@conclave/testing";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsAuthFromEnv } from "./nats-auth.js";

// The compose setup, on a real nats-server of this test's own: the committed block's
// `$NATS_PASSWORD_<USER>` references resolve from the server's environment.
const passwords = { NATS_PASSWORD_EDGE: "edge-secret-1", NATS_PASSWORD_ADMIN: "admin-secret-2" };
let server: OwnNatsServer;

beforeAll(async () => {
  const before = { ...process.env };
  for (const v of ["ADMIN", "EDGE", "ORCHESTRATOR", "EXECUTOR", "RECORDER", "FANOUT"])
    process.env[`NATS_PASSWORD_${v}`] = `${v.toLowerCase()}-unused`;
  Object.assign(process.env, passwords);
  try {
    server = await startOwnNatsServer({
      config: natsAuthFromEnv("prod"),
      user: "conclave-admin",
      password: passwords.NATS_PASSWORD_ADMIN,
    });
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in before)) delete process.env[k];
  }
});
afterAll(async () => {
  await server?.dispose();
});

describe("the --from-env block on nats-server", () => {
  it("lets each user in with the password from the server's environment, and nobody with another", async () => {
    const nc = await connect({
      servers: server.url,
      user: "edge",
      pass: passwords.NATS_PASSWORD_EDGE,
      reconnect: false,
    });
    await nc.flush();
    await nc.close();
    await expect(
      connect({
        servers: server.url,
        user: "edge",
        pass: "$NATS_PASSWORD_EDGE",
        reconnect: false,
        timeout: 2000,
      }),
    ).rejects.toThrow(/auth/i);
  });

  it("keeps the user's permissions: the edge may post messages, not agents' replies", async () => {
    const nc = await connect({
      servers: server.url,
      user: "edge",
      pass: passwords.NATS_PASSWORD_EDGE,
      reconnect: false,
    });
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === "error") errors.push(String(s.error));
    })();
    nc.publish("prod.conv.g1.message.posted", "ok");
    await nc.flush();
    expect(errors).toEqual([]);
    nc.publish("prod.conv.g1.agent.replied", "forged");
    await nc.flush();
    await expect.poll(() => errors.join(" "), { timeout: 10_000 }).toMatch(/permissions violation/i);
    await nc.close();
  });
});
