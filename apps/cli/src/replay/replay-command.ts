import { once } from "node:events";
import { parseArgs } from "node:util";
import { ApiError, createApi } from "../api.js";
import { type CliConfig, edgeUrl, streamUrl } from "../config.js";
import { createDirectory, loadDirectory } from "../directory.js";
import { UsageError } from "../dlq-command.js";
import { followGroup } from "../follow.js";
import { createProgress } from "../term/progress.js";
import { colourFor, createStyle } from "../term/style.js";
import { promptLines, type TimelineStep } from "./prompt-lines.js";
import { createTimeline, type ReplayedEvent } from "./timeline.js";

export const REPLAY_USAGE = `replay <groupId> [--turn <turnId>] [--from-seq N] [--to-seq N] [--since ISO] [--until ISO]
         [--follow] [--prompts] [--format pretty|json|ndjson]
                           a group's recorded events (all, a turn's, a seq or time range) from the API, then
                           with --follow the live ones; needs CONCLAVE_TOKEN (and CONCLAVE_URL, CONCLAVE_STREAM_URL
                           when the edge and fanout are not on HOST:EDGE_PORT and HOST:FANOUT_PORT);
                           --prompts (with --turn): each LLM call's prompt, time and tokens under its outcome`;

const FORMATS = ["pretty", "json", "ndjson"] as const;
type Format = (typeof FORMATS)[number];

export interface ReplayArgs {
  groupId: string;
  turnId?: string | undefined;
  fromSeq?: number | undefined;
  toSeq?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
  follow: boolean;
  /** A turn's timeline: each LLM call's prompt printed with its outcome. */
  prompts: boolean;
  format: Format;
}

/** The command line of `conclave replay`; a line that does not parse is a `UsageError`. */
export function parseReplayArgs(argv: string[], usage: string): ReplayArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
  }
  const { values: v, positionals } = parsed;
  const [groupId, ...extra] = positionals;
  if (!groupId) throw new UsageError(`replay needs a group id\n${usage}`);
  if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(" ")}\n${usage}`);
  const seq = (name: string, s: string | undefined) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new UsageError(`--${name} is a stream seq (0 or more)\n${usage}`);
    return n;
  };
  const format = (v.format ?? "pretty") as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format is one of ${FORMATS.join(", ")}\n${usage}`);
  const args: ReplayArgs = {
    groupId,
    turnId: v.turn,
    fromSeq: seq("from-seq", v["from-seq"]),
    toSeq: seq("to-seq", v["to-seq"]),
    since: v.since,
    until: v.until,
    follow: v.follow ?? false,
    prompts: v.prompts ?? false,
    format,
  };
  if (args.prompts && (!args.turnId || args.follow || Object.keys(v).some((k) => RANGE_FLAGS.has(k))))
    throw new UsageError(
      `--prompts shows one turn: it needs --turn, and takes no range or --follow\n${usage}`,
    );
  if (args.follow && (args.toSeq !== undefined || args.until !== undefined))
    throw new UsageError(`--follow goes on after the range: it cannot have --to-seq or --until\n${usage}`);
  return args;
}

const RANGE_FLAGS = new Set(["from-seq", "to-seq", "since", "until"]);

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      turn: { type: "string" },
      "from-seq": { type: "string" },
      "to-seq": { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      follow: { type: "boolean" },
      prompts: { type: "boolean" },
      format: { type: "string" },
    },
  });
}

/** The API's query for these arguments. */
export function replayQuery(a: ReplayArgs): string {
  const q = new URLSearchParams();
  if (a.turnId) q.set("turnId", a.turnId);
  if (a.fromSeq !== undefined) q.set("fromSeq", String(a.fromSeq));
  if (a.toSeq !== undefined) q.set("toSeq", String(a.toSeq));
  if (a.since) q.set("since", a.since);
  if (a.until) q.set("until", a.until);
  const s = q.toString();
  return `/v1/groups/${encodeURIComponent(a.groupId)}/replay${s ? `?${s}` : ""}`;
}

const FLAG_OF: Record<string, string> = {
  "query.turnId": "--turn",
  "query.fromSeq": "--from-seq",
  "query.toSeq": "--to-seq",
  "query.since": "--since",
  "query.until": "--until",
  "path.groupId": "<groupId>",
};

/** Writes to stdout, waiting when the reader (a pager, a pipe) is behind. */
async function write(s: string): Promise<void> {
  if (!process.stdout.write(s)) await once(process.stdout, "drain");
}

interface Output {
  event(e: ReplayedEvent, raw: string): Promise<void>;
  end(): Promise<void>;
}

function outputFor(format: Format, timeline: ReturnType<typeof createTimeline>): Output {
  switch (format) {
    case "ndjson":
      return { event: (_e, raw) => write(`${raw}\n`), end: async () => undefined };
    case "json": {
      let first = true;
      return {
        async event(_e, raw) {
          await write(`${first ? "[\n" : ",\n"}${raw}`);
          first = false;
        },
        end: () => write(first ? "[]\n" : "\n]\n"),
      };
    }
    case "pretty":
      return {
        event: async (e) => {
          const lines = timeline.lines(e);
          if (lines.length > 0) await write(`${lines.join("\n")}\n`);
        },
        end: async () => undefined,
      };
  }
}

/** The lines of an NDJSON body as they arrive; a body cut short (a last line without its newline) throws. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let i = buffered.indexOf("\n");
    while (i >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      if (line) yield line;
      i = buffered.indexOf("\n");
    }
  }
  buffered += decoder.decode();
  if (buffered) throw new Error("the answer ended in the middle of a line");
}

/**
 * `conclave replay`: reads the range from the API page by page (following `Link: rel="next"`),
 * prints it, then with `--follow` goes on with the live events on the WebSocket from the last seq
 * the API covered. Nothing is published: it only reads.
 */
export async function replay(config: CliConfig, argv: string[], usage: string): Promise<void> {
  const args = parseReplayArgs(argv, usage);
  if (!config.CONCLAVE_TOKEN)
    throw new UsageError("replay needs CONCLAVE_TOKEN: an access token or API key that may read the group");
  const token = config.CONCLAVE_TOKEN;
  const api = createApi(edgeUrl(config), token);
  const style = createStyle(args.format === "pretty" && colourFor(process.stdout, config.NO_COLOR));
  const directory = args.format === "pretty" ? await loadDirectory(api, args.groupId) : createDirectory();
  const out = outputFor(args.format, createTimeline({ style, directory }));
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  if (args.prompts && args.turnId) {
    const path = `/v1/groups/${encodeURIComponent(args.groupId)}/turns/${encodeURIComponent(args.turnId)}/timeline`;
    const { steps } = await api.getJson<{ steps: TimelineStep[] }>(path);
    const timeline = createTimeline({ style, directory });
    const indent = "        ";
    if (args.format === "json") await write(`${JSON.stringify(steps, null, 2)}\n`);
    else
      for (const step of steps) {
        if (args.format === "ndjson") await write(`${JSON.stringify(step)}\n`);
        else {
          const lines = timeline.lines(step);
          if (step.call) lines.push(...promptLines(step.call, style).map((l) => `${indent}${l}`));
          if (lines.length > 0) await write(`${lines.join("\n")}\n`);
        }
      }
    return;
  }
  const progress = createProgress(process.stderr, "replaying", { minTotal: 1_000 });
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);

  let lastSeq: number | undefined;
  let throughSeq = 0;
  // Live events are written one after the other, each after the previous one's drain.
  let writing = Promise.resolve();
  let total = 0;
  try {
    let path: string | null = replayQuery(args);
    while (path && !stop.signal.aborted) {
      let res: Response;
      try {
        res = await api.get(path, "application/x-ndjson");
      } catch (e) {
        if (e instanceof ApiError && e.status === 400 && e.fields.length > 0)
          throw new UsageError(
            `${e.fields.map((f) => `${FLAG_OF[f.path] ?? f.path}: ${f.message}`).join("\n")}\n${usage}`,
          );
        throw e;
      }
      total += Number(res.headers.get("replay-count") ?? 0);
      throughSeq = Math.max(throughSeq, Number(res.headers.get("replay-through-seq") ?? 0));
      const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
      if (!res.body) break;
      try {
        for await (const raw of ndjsonLines(res.body)) {
          const line = JSON.parse(raw) as ReplayedEvent;
          lastSeq = line.seq;
          progress.advance(1, total);
          await out.event(line, raw);
          if (stop.signal.aborted) break;
        }
      } catch (e) {
        throw new Error(
          `the replay was cut short${lastSeq === undefined ? "" : ` after seq ${lastSeq}: run it again with --from-seq ${lastSeq + 1}`} (${e instanceof Error ? e.message : String(e)})`,
        );
      }
      path = next ?? null;
    }
    progress.done();
    if (args.follow && !stop.signal.aborted) {
      const from = Math.max(lastSeq ?? 0, throughSeq, (args.fromSeq ?? 1) - 1);
      const ended = await followGroup({
        url: streamUrl(config),
        token,
        groupId: args.groupId,
        afterSeq: from,
        signal: stop.signal,
        onNotice: (m) => process.stderr.write(`${m}\n`),
        onFrame: (frame) => {
          if (frame.type === "error") process.stderr.write(`${JSON.stringify(frame)}\n`);
          if (frame.type !== "event" || typeof frame.seq !== "number") return;
          const event = frame.event as { turnId?: unknown } | undefined;
          if (args.turnId && event?.turnId !== args.turnId) return;
          const line = { seq: frame.seq, event: frame.event };
          writing = writing.then(() => out.event(line, JSON.stringify(line)));
        },
      });
      if (!stop.signal.aborted) {
        process.stderr.write(`stopped following: ${ended.code} ${ended.reason}\n`);
        process.exitCode = 1;
      }
    }
  } finally {
    progress.done();
    process.removeListener("SIGINT", onSigint);
    await writing;
    await out.end();
  }
}
