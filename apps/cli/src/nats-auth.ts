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

/** The environment variable that holds `user`'s password where the server reads it (`NATS_PASSWORD_EDGE`, `NATS_PASSWORD_ADMIN`). */
export const passwordVariable = (user: BusUser | "admin") => `NATS_PASSWORD_${user.toUpperCase()}`;

/**
 * The same block with no secret in it: each password is a nats-server variable reference
 * (`password: $NATS_PASSWORD_EDGE`), resolved from the server's environment, so the file can be
 * committed (deploy/nats/auth.conf) and the passwords live in the env file beside the apps' keys.
 */
export function natsAuthFromEnv(ns: string): string {
  const marker = (u: string) => `@@${u}@@`;
  const passwords = Object.fromEntries(BUS_USERS.map((u) => [u, marker(u)])) as Record<BusUser, string>;
  const block = natsAuthorizationConfig(names(ns), passwords, {
    user: ADMIN_NATS_USER,
    password: marker("admin"),
  });
  return block.replace(/"@@([a-z]+)@@"/g, (_, u: BusUser | "admin") => `$${passwordVariable(u)}`);
}
