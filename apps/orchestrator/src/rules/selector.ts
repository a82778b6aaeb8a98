import { assertNever } from "@conclave/errors";
import { requireInt } from "./require-limit.js";
import { nextInSeatOrder, type RosterAgent, trailingRun } from "./roster.js";
import { clip, namePattern } from "./text.js";

/** The word a selector agent answers with to end the turn. */
export const TASK_COMPLETE = "TASK_COMPLETE";

/** The limits of the `selector` strategy. */
export interface SelectorLimits {
  /** The most turns one agent may take in a row; a pick beyond it is replaced by the next seat. */
  readonly maxConsecutive: number;
  /** How many times an invalid pick is asked again before round robin picks instead. */
  readonly maxRetries: number;
  /** The most speakers in one turn. */
  readonly maxSteps: number;
}

/** Limits used where a group sets none. */
export const DEFAULT_SELECTOR_LIMITS: SelectorLimits = { maxConsecutive: 2, maxRetries: 2, maxSteps: 12 };

/** What a selector agent's answer means: the end of the task, an agent of the roster, or nothing usable. */
export type SelectorPick =
  | { readonly kind: "complete"; readonly rationale: string }
  | { readonly kind: "agent"; readonly agent: RosterAgent; readonly rationale: string }
  | { readonly kind: "invalid"; readonly why: string };

/** Why a selector decision was made by a rule rather than by the selector's own pick. */
export type SelectorFallback = "repeat_guard" | "invalid_pick";

/** What the `selector` strategy does next; `reason` is written for the `speaker.selected` event. */
export type SelectorDecision =
  | {
      readonly kind: "speak";
      readonly agent: RosterAgent;
      /** Null when the selector's own pick stands. */
      readonly fallback: SelectorFallback | null;
      readonly reason: string;
    }
  | { readonly kind: "retry"; readonly attempt: number; readonly reason: string }
  | { readonly kind: "complete"; readonly reason: string }
  | {
      readonly kind: "stop";
      readonly code: "max_steps" | "repeat_limit" | "no_agents";
      readonly reason: string;
    };

// What models wrap a bare answer in: whitespace, markdown emphasis, code ticks and quotes.
const WRAP = "[\\s*_`\"'“”‘’]*";
// A dash separates a rationale only with a space before it, so "Ada-Bot" never reads as "Ada".
const TAIL = "(?:[.!]?\\s*$|(?:\\s*:|\\s+[-–—])\\s*(?<rest>.*)$)";

/**
 * Reads a selector's answer: its first non-empty line must be exactly `TASK_COMPLETE` or one roster name
 * (any case, optionally wrapped in quotes or emphasis, optionally followed by `: rationale`); the lines
 * after it are rationale too. Longer names are tried first, so "Ada Lovelace" wins over "Ada".
 */
export function parsePick(text: string, roster: readonly RosterAgent[]): SelectorPick {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== "");
  const head = lines[first];
  if (first < 0 || head === undefined) return { kind: "invalid", why: "empty pick" };
  const after = lines
    .slice(first + 1)
    .join("\n")
    .trim();
  const rationaleOf = (m: RegExpExecArray) =>
    [m.groups?.rest?.trim() ?? "", after].filter(Boolean).join("\n");
  const matchName = (name: string, at: string) =>
    new RegExp(`^${WRAP}${at}${namePattern(name)}${WRAP}${TAIL}`, "iu").exec(head);
  // The sentinel is tried first: it ends the turn even if an agent were named TASK_COMPLETE.
  const done = matchName(TASK_COMPLETE, "");
  if (done) return { kind: "complete", rationale: rationaleOf(done) };
  const byLength = [...roster]
    .filter((a) => a.name.trim() !== "")
    .sort((a, b) => b.name.length - a.name.length);
  for (const agent of byLength) {
    const m = matchName(agent.name, "@?");
    if (m) return { kind: "agent", agent, rationale: rationaleOf(m) };
  }
  return { kind: "invalid", why: `not TASK_COMPLETE or a roster name: "${clip(head, 80)}"` };
}

/**
 * Decides the next step of a `selector` turn from the selector's raw answer. `history` lists this turn's
 * speakers in order; `invalidPicks` counts the invalid answers already given for this step. Order of
 * checks: TASK_COMPLETE always ends the turn; then the step limit; then the pick, with its guards.
 */
export function decideSelection(input: {
  pick: string;
  roster: readonly RosterAgent[];
  history: readonly string[];
  invalidPicks: number;
  limits?: Partial<SelectorLimits>;
}): SelectorDecision {
  const limits = { ...DEFAULT_SELECTOR_LIMITS, ...input.limits };
  requireInt(limits.maxConsecutive, "maxConsecutive", 1);
  requireInt(limits.maxRetries, "maxRetries", 0);
  requireInt(limits.maxSteps, "maxSteps", 1);
  requireInt(input.invalidPicks, "invalidPicks", 0);
  const { roster, history } = input;
  const pick = parsePick(input.pick, roster);
  if (pick.kind === "complete") {
    return { kind: "complete", reason: withRationale("selector chose TASK_COMPLETE", pick.rationale) };
  }
  if (history.length >= limits.maxSteps) {
    return {
      kind: "stop",
      code: "max_steps",
      reason: `guard: step limit of ${limits.maxSteps} speakers reached`,
    };
  }
  if (roster.length === 0) return { kind: "stop", code: "no_agents", reason: "no agents to choose from" };
  const last = history.at(-1) ?? null;
  const run = trailingRun(history);
  const overRun = (agent: RosterAgent) => agent.id === last && run + 1 > limits.maxConsecutive;
  const nameOf = (id: string) => roster.find((a) => a.id === id)?.name ?? id;
  const repeatStop = (): SelectorDecision => ({
    kind: "stop",
    code: "repeat_limit",
    reason: `guard: ${nameOf(last ?? "")} spoke ${run} times in a row and no one else can speak`,
  });
  switch (pick.kind) {
    case "agent": {
      if (!overRun(pick.agent)) {
        const reason = withRationale(`selector chose ${pick.agent.name}`, pick.rationale);
        return { kind: "speak", agent: pick.agent, fallback: null, reason };
      }
      const next = nextInSeatOrder(roster, last);
      if (!next || overRun(next)) return repeatStop();
      const reason = `guard: ${pick.agent.name} spoke ${run} times in a row; picked ${next.name}`;
      return { kind: "speak", agent: next, fallback: "repeat_guard", reason };
    }
    case "invalid": {
      const attempt = input.invalidPicks + 1;
      if (input.invalidPicks < limits.maxRetries) {
        return {
          kind: "retry",
          attempt,
          reason: `selector pick invalid (${pick.why}); retry ${attempt} of ${limits.maxRetries}`,
        };
      }
      const next = nextInSeatOrder(roster, last);
      if (!next || overRun(next)) return repeatStop();
      const reason = `selector pick invalid ${attempt} time${attempt === 1 ? "" : "s"} (${pick.why}); round robin picked ${next.name}`;
      return { kind: "speak", agent: next, fallback: "invalid_pick", reason };
    }
    default:
      return assertNever(pick, "selector pick");
  }
}

function withRationale(head: string, rationale: string): string {
  return rationale === "" ? head : `${head}: ${clip(rationale)}`;
}
