import { connectBus, jetstreamManager } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import { names as namesOf } from "@conclave/subjects";
import type { CliConfig } from "./config.js";
import { formatList, listDeadLetters, requeueDeadLetter, showDeadLetter } from "./dlq.js";

/** Thrown for a command line that does not parse: the caller prints the usage and exits 2. */
export class UsageError extends Error {}

const seqArg = (v: string | undefined, usage: string) => {
  const seq = Number(v);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new UsageError(`a dead letter's seq is needed\n${usage}`);
  return seq;
};

/** `conclave dlq list|show|requeue`: needs a NATS identity that may read the DLQ stream (the admin one). */
export async function dlq(config: CliConfig, args: string[], log: Logger, usage: string): Promise<string> {
  const [sub, ...rest] = args;
  const flag = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? (rest[i + 1] ?? "") : undefined;
  };
  if (sub !== "list" && sub !== "show" && sub !== "requeue")
    throw new UsageError(`unknown dlq command\n${usage}`);
  const stream = flag("stream");
  if (stream !== undefined && stream !== "conv" && stream !== "work")
    throw new UsageError(`--stream is conv or work\n${usage}`);
  const limit = flag("limit");
  if (limit !== undefined && !(Number.isSafeInteger(Number(limit)) && Number(limit) > 0))
    throw new UsageError(`--limit is a positive number\n${usage}`);
  const seq = sub === "list" ? 0 : seqArg(rest[0], usage);
  const nc = await connectBus({
    url: config.NATS_URL,
    name: "conclave-cli",
    log,
    user: config.NATS_USER,
    password: config.NATS_PASSWORD,
  });
  try {
    const jsm = await jetstreamManager(nc);
    const n = namesOf(config.CONCLAVE_NS);
    if (sub === "list")
      return formatList(
        await listDeadLetters(jsm, n, { stream, limit: limit === undefined ? undefined : Number(limit) }),
      );
    if (sub === "show") return `${JSON.stringify(await showDeadLetter(jsm, n, seq), null, 2)}\n`;
    const done = await requeueDeadLetter(nc, jsm, n, seq, { force: rest.includes("--force") });
    return `requeued dead letter ${seq} as ${done.stream} seq ${done.seq} on ${done.subject}\n`;
  } finally {
    await nc.close();
  }
}
