import { parseArgs } from "node:util";
import { createApi } from "./api.js";
import { type CliConfig, edgeUrl, streamUrl } from "./config.js";
import { createDirectory, loadDirectory } from "./directory.js";
import { UsageError } from "./dlq-command.js";
import { followGroup } from "./follow.js";
import { colourFor, createStyle } from "./term/style.js";
import { createChatRenderer } from "./watch/chat.js";

export const WATCH_USAGE = `watch <groupId> [afterSeq] [--json]
                           a group live, as a chat (answers grow as they are written; --json: the raw
                           frames, one per line), after stream seq afterSeq if given; needs CONCLAVE_TOKEN`;

/** `conclave watch <groupId> [afterSeq] [--json]`: a group's conversation as it happens. */
export async function watch(config: CliConfig, argv: string[], usage: string): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
  }
  const [groupId, seq, ...extra] = parsed.positionals;
  if (!groupId || extra.length > 0)
    throw new UsageError(`watch needs a group id (and maybe a seq)\n${usage}`);
  const afterSeq = seq === undefined ? undefined : Number(seq);
  if (afterSeq !== undefined && !(Number.isSafeInteger(afterSeq) && afterSeq >= 0))
    throw new UsageError(`afterSeq is a stream seq (0 or more)\n${usage}`);
  if (!config.CONCLAVE_TOKEN)
    throw new UsageError("watch needs CONCLAVE_TOKEN: an access token or API key that may read the group");
  const token = config.CONCLAVE_TOKEN;
  const json = parsed.values.json ?? false;
  const style = createStyle(!json && colourFor(process.stdout, config.NO_COLOR));
  const directory = json
    ? createDirectory()
    : await loadDirectory(createApi(edgeUrl(config), token), groupId);
  const chat = createChatRenderer({ style, directory });
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  const ended = await followGroup({
    url: streamUrl(config),
    token,
    groupId,
    afterSeq,
    signal: stop.signal,
    onNotice: (m) => process.stderr.write(`${m}\n`),
    onFrame: (frame, raw) => {
      if (json) process.stdout.write(`${raw}\n`);
      else process.stdout.write(chat.frame(frame));
    },
  });
  process.stdout.write(chat.end());
  process.stderr.write(`closed ${ended.code} ${ended.reason}\n`);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { json: { type: "boolean" } },
  });
}
