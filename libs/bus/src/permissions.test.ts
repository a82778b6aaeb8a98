import { CONSUMERS, names } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { BUS_USERS, busInboxPrefix, busPermissions, natsAuthorizationConfig } from "./permissions.js";

const n = names("prod");
const perms = busPermissions(n);

describe("each app's NATS permissions", () => {
  it("give no app the whole JetStream API, every ack, or the shared inbox", () => {
    for (const user of BUS_USERS) {
      const { publish, subscribe } = perms[user];
      for (const wide of ["$JS.API.>", "$JS.>", "$JS.ACK.>", ">", "_INBOX.>"]) {
        expect(publish, user).not.toContain(wide);
        expect(subscribe, user).not.toContain(wide);
      }
      expect(
        publish.filter((s) =>
          /\$JS\.API\.(STREAM\.(CREATE|UPDATE|DELETE|MSG\.DELETE)|CONSUMER\.DURABLE)/.test(s),
        ),
      ).toEqual([]);
      expect(subscribe[0]).toBe(`${busInboxPrefix("prod", user)}.>`);
    }
  });

  it("let a worker pull and ack only its own durables, and dead-letter", () => {
    expect(perms.recorder.publish).toEqual(
      expect.arrayContaining([
        `$JS.API.CONSUMER.MSG.NEXT.prod_CONV.${CONSUMERS.recorder}`,
        `$JS.ACK.prod_CONV.${CONSUMERS.recorder}.>`,
        "prod.dlq.prod_CONV",
      ]),
    );
    expect(perms.recorder.publish.some((s) => s.includes(CONSUMERS.orchestrator))).toBe(false);
    // Retention: only the recorder may purge the conversation stream.
    for (const user of BUS_USERS)
      expect(perms[user].publish.includes("$JS.API.STREAM.PURGE.prod_CONV"), user).toBe(user === "recorder");
    // No worker may write the operator's requeue records (`dlq.requeued.<seq>`).
    for (const user of BUS_USERS)
      expect(perms[user].publish.some((s) => s.startsWith("prod.dlq.r"))).toBe(false);
    expect(perms.executor.publish).not.toContain("prod.dlq.>");
  });

  it("let only executors write their offers, and the edge read them", () => {
    const write = "$KV.prod_executors.>";
    for (const user of BUS_USERS) expect(perms[user].publish.includes(write), user).toBe(user === "executor");
    expect(perms.edge.publish).toEqual(
      expect.arrayContaining([
        "$JS.API.STREAM.INFO.KV_prod_executors",
        "$JS.API.DIRECT.GET.KV_prod_executors.>",
      ]),
    );
  });

  it("let the fanout and the edge make ordered consumers of one group, never touch a durable of the stream", () => {
    for (const user of ["fanout", "edge"] as const) {
      expect(perms[user].publish, user).toContain("$JS.API.CONSUMER.CREATE.prod_CONV.*.prod.conv.*.>");
      expect(perms[user].publish, user).toContain("$JS.API.CONSUMER.MSG.NEXT.prod_CONV.*");
      expect(perms[user].publishDeny, user).toEqual(
        expect.arrayContaining([
          `$JS.API.CONSUMER.CREATE.prod_CONV.${CONSUMERS.orchestrator}.>`,
          `$JS.API.CONSUMER.DELETE.prod_CONV.${CONSUMERS.recorder}`,
          `$JS.API.CONSUMER.MSG.NEXT.prod_CONV.${CONSUMERS.orchestrator}`,
        ]),
      );
    }
    // Nothing else may make consumers of the conversation stream.
    for (const user of ["orchestrator", "executor", "recorder"] as const)
      expect(
        perms[user].publish.some((s) => s.startsWith("$JS.API.CONSUMER.CREATE.prod_CONV")),
        user,
      ).toBe(false);
  });

  it("let only the edge tell access changes, and the executors hear only budgets'", () => {
    expect(perms.edge.publish).toContain("prod.access.>");
    expect(perms.edge.subscribe).toContain("prod.access.>");
    for (const user of ["orchestrator", "executor", "recorder", "fanout"] as const)
      expect(
        perms[user].publish.some((s) => s.startsWith("prod.access")),
        user,
      ).toBe(false);
    expect(perms.executor.subscribe.filter((s) => s.startsWith("prod.access"))).toEqual([
      "prod.access.budget",
    ]);
    for (const user of ["orchestrator", "recorder", "fanout"] as const)
      expect(
        perms[user].subscribe.some((s) => s.startsWith("prod.access")),
        user,
      ).toBe(false);
  });

  it("write the deny list and the admin user into the server's authorization block", () => {
    const pw = Object.fromEntries(BUS_USERS.map((u) => [u, `pw-${u}`])) as Record<
      (typeof BUS_USERS)[number],
      string
    >;
    const conf = natsAuthorizationConfig(n, pw, { user: "conclave-admin", password: "secret" });
    expect(conf).toContain('{ user: "conclave-admin", password: "secret" }');
    expect(conf).toMatch(/user: "fanout".*deny: \[/);
    expect(conf).toMatch(/user: "edge".*deny: \[/);
    expect(conf).not.toMatch(/user: "recorder".*deny/);
  });
});
