import { randomBytes } from "node:crypto";
import { BUS_USERS, type BusUser, natsAuthorizationConfig } from "@conclave/bus";
import { names } from "@conclave/subjects";

/** The unrestricted user `conclave provision` (the migrate/provision job) connects as. */
export const ADMIN_NATS_USER = "conclave-admin";

/**
 * Prints a nats-server `authorization` block that gives each app its own user (fresh random
 * passwords) and one admin user for provisioning, followed by each one's NATS_USER / NATS_PASSWORD,
 * for an operator to store as secrets.
 */
export function natsAuth(ns: string): string {
  const secret = () => randomBytes(24).toString("base64url");
  const passwords = Object.fromEntries(BUS_USERS.map((u) => [u, secret()])) as Record<BusUser, string>;
  const admin = { user: ADMIN_NATS_USER, password: secret() };
  const env = [
    ...BUS_USERS.map((u) => `# ${u}: NATS_USER=${u} NATS_PASSWORD=${passwords[u]}`),
    `# conclave provision (admin, setup jobs only): NATS_USER=${admin.user} NATS_PASSWORD=${admin.password}`,
  ];
  return `${natsAuthorizationConfig(names(ns), passwords, admin)}\n${env.join("\n")}\n`;
}
