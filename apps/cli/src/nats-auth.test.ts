import { readFileSync } from "node:fs";
import { BUS_USERS } from "@conclave/bus";
import { describe, expect, it } from "vitest";
import { ADMIN_NATS_USER, natsAuth, natsAuthFromEnv, passwordVariable } from "./nats-auth.js";

// docker compose mounts this file into nats-server: it must be what the code generates today.
const COMMITTED = new URL("../../../deploy/nats/auth.conf", import.meta.url);

describe("nats-auth --from-env", () => {
  it("is the committed deploy/nats/auth.conf for the compose namespace (regenerate after changing permissions)", () => {
    expect(readFileSync(COMMITTED, "utf8")).toBe(natsAuthFromEnv("prod"));
  });

  it("names each user's password by variable, holds no secret, and keeps the permissions of the printed block", () => {
    const fromEnv = natsAuthFromEnv("prod");
    for (const u of [...BUS_USERS, "admin" as const])
      expect(fromEnv).toContain(`password: $${passwordVariable(u)}`);
    expect(fromEnv).toContain(`{ user: "${ADMIN_NATS_USER}", password: $NATS_PASSWORD_ADMIN }`);
    expect(fromEnv).not.toMatch(/password: "/);
    const printed = natsAuth("prod")
      .replace(/password: "[^"]+"/g, "password: X")
      .split("\n# ")[0];
    expect(fromEnv.replace(/password: \$\w+/g, "password: X")).toBe(printed);
  });
});
