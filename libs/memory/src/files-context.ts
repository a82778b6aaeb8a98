import type { FileColumnProfile } from "@conclave/db";
import type { ConversationMessage } from "@conclave/subjects";
import type { GroupFile } from "./load-files.js";

/** The longest files context a turn starts with: the profiles inform, they must not crowd the prompt. */
export const FILES_CONTEXT_MAX_CHARS = 4000;

const HEADER = "Files in this group (read one with the dataset tool, its id as datasetId):";
const MORE = "\n… and more files, not listed here";

// Column names come from the CSV and may hold line breaks: one file stays one line.
const oneLine = (s: string) => s.replace(/\p{Cc}+/gu, " ");

function value(v: number | string): string {
  return typeof v === "number" && !Number.isInteger(v) ? String(Number(v.toPrecision(6))) : String(v);
}

function column(c: FileColumnProfile): string {
  const parts: string[] = [c.type, `${c.nulls} nulls`];
  if (c.min !== undefined && c.max !== undefined) parts.push(`${value(c.min)}..${value(c.max)}`);
  else if (c.type === "string" || c.type === "boolean") parts.push(`${c.distinct} distinct`);
  return `${oneLine(c.name)} (${parts.join(", ")})`;
}

/** One file in one line: `<id> <name>: N rows, columns: a (integer, 0 nulls, 1..9), …`. */
export function describeFile(f: GroupFile): string {
  const rows = `${f.profile.rows} ${f.profile.rows === 1 ? "row" : "rows"}`;
  return `${f.id} ${oneLine(f.name)}: ${rows}, columns: ${f.profile.columns.map(column).join(", ")}`;
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/**
 * The user-role message each agent's conversation starts with when the group has files (none
 * otherwise): one line per file, in the order given, within `maxChars`. A long line is cut at a
 * quarter of that, so a file with many columns leaves room for others; its id and name come first.
 */
export function filesContext(
  files: readonly GroupFile[],
  maxChars = FILES_CONTEXT_MAX_CHARS,
): ConversationMessage[] {
  if (files.length === 0) return [];
  const lineMax = Math.floor(maxChars / 4);
  let text = HEADER;
  let shown = 0;
  for (const f of files) {
    const line = `\n${clip(describeFile(f), lineMax)}`;
    if (text.length + line.length + MORE.length > maxChars) break;
    text += line;
    shown++;
  }
  if (shown < files.length) text += MORE;
  return [{ role: "user", content: text }];
}
