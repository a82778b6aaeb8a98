#!/usr/bin/env -S node --import tsx
import { ConfigError } from "@conclave/config";
import { describeError } from "@conclave/errors";
import { createLogger } from "@conclave/log";
import { loadConfig } from "./config.js";
import { runDev } from "./dev/index.js";
import { dlq, UsageError } from "./dlq-command.js";
import { migrate } from "./migrate.js";
import { natsAuth } from "./nats-auth.js";
import { provisionBus } from "./provision.js";
import { rotateKeys } from "./rotate-keys.js";
import { watch } from "./watch.js";

const USAGE = `usage: conclave <command>
  dev                      start NATS (if needed), migrate, every app, and a demo group
  migrate                  apply database migrations (DATABASE_URL, or the embedded PGlite)
  provision                create or update the NATS streams, consumers and buckets (an admin NATS_USER)
  keys rotate              make a new token signing key current (the old one verifies until its tokens expire)
  nats-auth                print a nats-server authorization block with one user per app (CONCLAVE_NS)
  watch <groupId> [seq]    print a group's events live (after stream seq, if given); needs CONCLAVE_TOKEN
  dlq list [--stream conv|work] [--limit N]
                           the newest dead letters: seq, time, source stream/consumer, subject and seq, reason
  dlq show <dlqSeq>        one dead letter's headers and body
  dlq requeue <dlqSeq> [--force]
                           re-publish its original bytes on its original subject (once; see README)`;

const [command, ...args] = process.argv.slice(2);
try {
  const config = loadConfig(process.env);
  const log = createLogger({ app: "conclave", level: config.LOG_LEVEL });
  switch (command) {
    case "dev":
      await runDev(config, process.env, log);
      break;
    case "migrate":
      await migrate(config, log);
      break;
    case "provision":
      await provisionBus(config, log);
      break;
    case "nats-auth":
      process.stdout.write(natsAuth(config.CONCLAVE_NS));
      break;
    case "keys":
      if (args[0] !== "rotate") throw new Error(`unknown keys command\n${USAGE}`);
      console.log(await rotateKeys(config, log));
      break;
    case "watch": {
      const [groupId, seq] = args;
      if (!groupId) throw new Error(`watch needs a group id\n${USAGE}`);
      if (!config.CONCLAVE_TOKEN)
        throw new Error("watch needs CONCLAVE_TOKEN: an access token or API key that may read the group");
      await watch(
        `ws://${config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST}:${config.FANOUT_PORT}/v1/stream`,
        config.CONCLAVE_TOKEN,
        groupId,
        seq === undefined ? undefined : Number(seq),
      );
      break;
    }
    case "dlq":
      process.stdout.write(await dlq(config, args, log, USAGE));
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
