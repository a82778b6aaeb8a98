import { randomBytes } from "node:crypto";
import { BUS_USERS, type BusUser, natsAuthorizationConfig } from "@conclave/bus";
import { names } from "@conclave/subjects";

/**
 * Prints a nats-server `authorization` block that gives each app its own user (fresh random
 * passwords), followed by each app's NATS_USER / NATS_PASSWORD, for an operator to store as secrets.
 */
export function natsAuth(ns: string): string {
  const passwords = Object.fromEntries(
    BUS_USERS.map((u) => [u, randomBytes(24).toString("base64url")]),
  ) as Record<BusUser, string>;
  const env = BUS_USERS.map((u) => `# ${u}: NATS_USER=${u} NATS_PASSWORD=${passwords[u]}`);
  return `${natsAuthorizationConfig(names(ns), passwords)}\n${env.join("\n")}\n`;
}
