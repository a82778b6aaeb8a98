#!/usr/bin/env -S node --import tsx
import { ConfigError } from "@conclave/config";
import { describeError } from "@conclave/errors";
import { createLogger } from "@conclave/log";
import { ADMIN_USAGE, admin } from "./admin-command.js";
import { loadConfig } from "./config.js";
import { dlq, UsageError } from "./dlq-command.js";
import { migrate } from "./migrate.js";
import { natsAuth, natsAuthFromEnv } from "./nats-auth.js";
import { PRICES_USAGE, pricesCommand } from "./prices-command.js";
import { PROJECTIONS_USAGE, projections } from "./projections/projections-command.js";
import { provisionBus } from "./provision.js";
import { REPLAY_USAGE, replay } from "./replay/replay-command.js";
import { VERIFY_USAGE, verifyReplay } from "./replay/verify-command.js";
import { RETENTION_USAGE, retention } from "./retention-command.js";
import { rotateKeys } from "./rotate-keys.js";
import { WATCH_USAGE, watch } from "./watch.js";

const USAGE = `usage: conclave <command>
  dev                      start NATS (if needed), migrate, every app, and a demo group
  migrate                  apply database migrations (DATABASE_URL, or the embedded PGlite)
  provision                create or update the NATS streams, consumers and buckets (an admin NATS_USER)
  keys rotate              make a new token signing key current (the old one verifies until its tokens expire)
  nats-auth [--from-env]   print a nats-server authorization block with one user per app (CONCLAVE_NS);
                           --from-env: passwords as $NATS_PASSWORD_<USER> references, no secrets
  ${WATCH_USAGE}
  ${REPLAY_USAGE}
  ${VERIFY_USAGE}
  dlq list [--stream conv|work] [--limit N]
                           the newest dead letters: seq, time, source stream/consumer, subject and seq, reason
  dlq show <dlqSeq>        one dead letter's headers and body
  dlq requeue <dlqSeq> [--force]
                           re-publish its original bytes on its original subject (once; see README)
  ${PROJECTIONS_USAGE}
  ${RETENTION_USAGE}
  ${ADMIN_USAGE}
  ${PRICES_USAGE}`;

const [command, ...args] = process.argv.slice(2);
try {
  const config = loadConfig(process.env);
  const log = createLogger({ app: "conclave", level: config.LOG_LEVEL });
  switch (command) {
    case "dev": {
      // Loaded here: it composes every app, which the other commands do not need to start.
      const { runDev } = await import("./dev/index.js");
      await runDev(config, process.env, log);
      break;
    }
    case "migrate":
      await migrate(config, log);
      break;
    case "provision":
      await provisionBus(config, log);
      break;
    case "nats-auth":
      process.stdout.write(
        args[0] === "--from-env" ? natsAuthFromEnv(config.CONCLAVE_NS) : natsAuth(config.CONCLAVE_NS),
      );
      break;
    case "keys":
      if (args[0] !== "rotate") throw new Error(`unknown keys command\n${USAGE}`);
      console.log(await rotateKeys(config, log));
      break;
    case "watch":
      await watch(config, args, USAGE);
      break;
    case "replay":
      if (args.includes("--verify")) await verifyReplay(config, args, process.env);
      else await replay(config, args, USAGE);
      break;
    case "dlq":
      process.stdout.write(await dlq(config, args, log, USAGE));
      break;
    case "admin":
      process.stdout.write(await admin(config, args, log, USAGE));
      break;
    case "prices":
      process.stdout.write(await pricesCommand(config, args, log, USAGE));
      break;
    case "projections":
      process.stdout.write(await projections(config, args, log, USAGE));
      break;
    case "retention":
      process.stdout.write(await retention(config, args, USAGE));
      break;
    default:
      console.error(USAGE);
      process.exitCode = command === undefined || command === "help" ? 0 : 2;
  }
} catch (e) {
  if (e instanceof UsageError) {
    console.error(e.message);
    process.exit(2);
  }
  console.error(e instanceof ConfigError ? e.message : `conclave ${command ?? ""}: ${describeError(e)}`);
  process.exit(1);
}
