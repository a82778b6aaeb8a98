import { requireInt } from "./require-limit.js";
import type { RosterAgent } from "./roster.js";
import { namePattern } from "./text.js";

/** The guards of the `mentions` strategy. */
export interface MentionLimits {
  /** The most agent→agent hand-offs in one turn (a person mentioning an agent is not a hop). */
  readonly maxHops: number;
  /** The most consecutive hops between the same two agents (A→B→A is 2). */
  readonly maxAlternations: number;
}

/** Limits used where a group sets none. */
export const DEFAULT_MENTION_LIMITS: MentionLimits = { maxHops: 8, maxAlternations: 3 };

/** The agents a text mentions, in order of first mention, and the `@words` that named no agent. */
export interface ParsedMentions {
  readonly agentIds: readonly string[];
  readonly unknown: readonly string[];
}

/** Who wrote the text being routed: a person, or an agent at the end of a hand-off `path` (oldest first). */
export type MentionSource =
  | { readonly kind: "user"; readonly name: string }
  | { readonly kind: "agent"; readonly path: readonly [string, ...string[]] };

/** A mentioned agent that will be called, with the reason for the `speaker.selected` event. */
export interface RoutedHop {
  readonly agent: RosterAgent;
  readonly reason: string;
}

/** A mentioned agent that a guard refused to call. */
export interface BlockedHop {
  readonly agent: RosterAgent;
  readonly code: "hop_limit" | "ping_pong";
  readonly reason: string;
}

/**
 * Where a text sends the conversation: `route` to the mentioned agents (some may be blocked), `stop` when
 * guards blocked every mention, `fallback` when a person mentioned no agent (use the group's fallback
 * strategy), `done` when an agent handed off to no one. `hopsUsed` is the turn's count after this step.
 */
export type MentionRoute =
  | {
      readonly kind: "route";
      readonly targets: readonly RoutedHop[];
      readonly blocked: readonly BlockedHop[];
      readonly hopsUsed: number;
      readonly reason: string;
    }
  | {
      readonly kind: "stop";
      readonly blocked: readonly BlockedHop[];
      readonly hopsUsed: number;
      readonly reason: string;
    }
  | { readonly kind: "fallback"; readonly reason: string }
  | { readonly kind: "done"; readonly hopsUsed: number; readonly reason: string };

const WORD = "[\\p{L}\\p{M}\\p{N}_]";
// A name ends at a non-word character, but not at ".x", "-x" or "@x": "@ada.dev" and "@ada-bot" are not Ada.
const END = `(?!${WORD})(?![.\\-@]${WORD})`;
// An "@" right after these is part of an email, URL, path or escape, not a mention.
const NOT_BEFORE = /[\p{L}\p{M}\p{N}_./@\-+=\\]/u;
const UNKNOWN_WORD = `${WORD}[\\p{L}\\p{M}\\p{N}_\\-]*${END}`;

/**
 * Finds `@name` mentions of roster agents, case-insensitively, skipping code (fenced blocks and inline
 * spans) and emails; whitespace inside a name matches any whitespace. Longer names are tried first
 * ("@Ada Lovelace" is not "@Ada"); of two agents with the same name, the first seat wins.
 */
export function parseMentions(text: string, roster: readonly RosterAgent[]): ParsedMentions {
  const plain = maskCode(text);
  const names = roster
    .filter((a) => a.name.trim() !== "")
    .map((agent) => ({ agent, re: new RegExp(namePattern(agent.name) + END, "iuy") }))
    .sort((a, b) => b.agent.name.trim().length - a.agent.name.trim().length);
  const unknownWord = new RegExp(UNKNOWN_WORD, "uy");
  const agentIds: string[] = [];
  const unknown: string[] = [];
  for (let at = plain.indexOf("@"); at >= 0; at = plain.indexOf("@", at + 1)) {
    if (at > 0 && NOT_BEFORE.test(plain[at - 1] ?? "")) continue;
    const hit = names.find(({ re }) => {
      re.lastIndex = at + 1;
      return re.test(plain);
    });
    if (hit) {
      if (!agentIds.includes(hit.agent.id)) agentIds.push(hit.agent.id);
      continue;
    }
    unknownWord.lastIndex = at + 1;
    const word = unknownWord.exec(plain)?.[0];
    if (word && !unknown.some((u) => u.toLowerCase() === word.toLowerCase())) unknown.push(word);
  }
  return { agentIds, unknown };
}

/**
 * Routes a message or an agent's reply by its mentions, under the hop limit and the ping-pong guard.
 * An agent mentioning itself is ignored. Targets are taken in order of first mention; a target blocked
 * by the ping-pong guard does not use up a hop.
 */
export function routeMentions(input: {
  text: string;
  roster: readonly RosterAgent[];
  from: MentionSource;
  hopsUsed: number;
  limits?: Partial<MentionLimits>;
}): MentionRoute {
  const limits = { ...DEFAULT_MENTION_LIMITS, ...input.limits };
  requireInt(limits.maxHops, "maxHops", 0);
  requireInt(limits.maxAlternations, "maxAlternations", 1);
  requireInt(input.hopsUsed, "hopsUsed", 0);
  const { roster, from } = input;
  const speaker = from.kind === "agent" ? (from.path[from.path.length - 1] ?? from.path[0]) : null;
  const mentioned = parseMentions(input.text, roster)
    .agentIds.filter((id) => id !== speaker)
    .flatMap((id) => roster.filter((a) => a.id === id).slice(0, 1));
  if (from.kind === "user") {
    if (mentioned.length === 0) return { kind: "fallback", reason: `${from.name} mentioned no agent` };
    const targets = mentioned.map((agent) => ({ agent, reason: `mentioned by ${from.name}` }));
    return { kind: "route", targets, blocked: [], hopsUsed: input.hopsUsed, reason: summary(targets, []) };
  }
  const speakerName = roster.find((a) => a.id === speaker)?.name ?? speaker;
  if (mentioned.length === 0) {
    return { kind: "done", hopsUsed: input.hopsUsed, reason: `${speakerName} handed off to no one` };
  }
  const targets: RoutedHop[] = [];
  const blocked: BlockedHop[] = [];
  let hopsUsed = input.hopsUsed;
  for (const agent of mentioned) {
    const bounces = alternations([...from.path, agent.id]);
    if (bounces > limits.maxAlternations) {
      const reason = `guard: ${speakerName} and ${agent.name} would alternate ${bounces} times (limit ${limits.maxAlternations}); @${agent.name} not called`;
      blocked.push({ agent, code: "ping_pong", reason });
    } else if (hopsUsed >= limits.maxHops) {
      const reason = `guard: hop limit of ${limits.maxHops} reached; @${agent.name} not called`;
      blocked.push({ agent, code: "hop_limit", reason });
    } else {
      hopsUsed++;
      targets.push({ agent, reason: `mentioned by @${speakerName}` });
    }
  }
  const reason = summary(targets, blocked);
  return targets.length > 0
    ? { kind: "route", targets, blocked, hopsUsed, reason }
    : { kind: "stop", blocked, hopsUsed, reason };
}

/** How many hops at the end of `path` go back and forth between its last two agents. */
function alternations(path: readonly string[]): number {
  const a = path.at(-1);
  const b = path.at(-2);
  let n = 0;
  for (let i = path.length - 1; i > 0; i--) {
    const pair = [path[i], path[i - 1]];
    if (!(pair.includes(a) && pair.includes(b) && path[i] !== path[i - 1])) break;
    n++;
  }
  return n;
}

function summary(targets: readonly RoutedHop[], blocked: readonly BlockedHop[]): string {
  const called = targets.map((t) => `@${t.agent.name} (${t.reason})`);
  return [...called, ...blocked.map((b) => b.reason)].join("; ");
}

/** `text` with fenced code blocks and inline code spans blanked out; an unclosed fence runs to the end. */
function maskCode(text: string): string {
  return text.replace(/(`{3,}|~{3,})[\s\S]*?(?:\1|$)/g, " ").replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, " ");
}
