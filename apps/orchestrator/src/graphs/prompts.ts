import { answerMessages, type Prompt, type Said } from "@conclave/memory";
import type { ConversationMessage } from "@conclave/subjects";
import { TASK_COMPLETE } from "../rules/index.js";

export { answerMessages, type Prompt, type Said };

/** The question a selector agent gets: the transcript, the speakers it may pick, and how to answer. */
export function selectMessages(
  prompt: Prompt,
  said: readonly Said[],
  speakers: readonly string[],
): ConversationMessage[] {
  const instruction = [
    `You choose who speaks next. Speakers: ${speakers.join(", ")}.`,
    `Answer with exactly one speaker's name on the first line (optionally followed by ": why"),`,
    `or ${TASK_COMPLETE} when the task is done.`,
  ].join(" ");
  return answerMessages(prompt, said, "the selector", instruction);
}

/** A ballot option: a debater's final answer, proposed under the debater's name. */
export interface Option {
  readonly choice: string;
  readonly agentId: string;
  readonly content: string;
}

/** The ballot an agent gets: the question, each option, and the JSON to answer with. */
export function ballotMessages(
  prompt: Prompt,
  options: readonly Option[],
  voter: string,
): ConversationMessage[] {
  const listed = options.map((o) => `Option "${o.choice}":\n${o.content}`).join("\n\n");
  const instruction = [
    `You are ${voter}. Vote for the best answer to the question above.`,
    `Reply with only a JSON object: {"choice": one of ${options.map((o) => JSON.stringify(o.choice)).join(", ")} or null to abstain,`,
    `"confidence": a number from 0 to 1, "rationale": one or two sentences}.`,
  ].join(" ");
  return [
    {
      role: "user",
      ...(prompt.name ? { name: prompt.name } : {}),
      content: `${prompt.content}\n\nThe answers proposed:\n\n${listed}\n\n${instruction}`,
    },
  ];
}

/** A ballot as read from an agent's reply; `problem` says why a reply counted as an abstention. */
export interface ReadBallot {
  readonly choice: string | null;
  readonly confidence: number;
  readonly rationale: string;
  readonly problem?: string;
}

/**
 * Reads a ballot from a reply: the first JSON object in it (a code fence around it is fine). The
 * choice must name an option (any case; the option's own spelling is kept); anything unreadable
 * or off the ballot is an abstention whose rationale says why. A missing confidence counts as 0.5.
 */
export function readBallot(reply: string, options: readonly Option[]): ReadBallot {
  const abstain = (problem: string): ReadBallot => ({
    choice: null,
    confidence: 0,
    rationale: problem,
    problem,
  });
  const start = reply.indexOf("{");
  const end = reply.lastIndexOf("}");
  if (start < 0 || end <= start) return abstain("ballot unreadable: no JSON object in the reply");
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.slice(start, end + 1));
  } catch {
    return abstain("ballot unreadable: the JSON object does not parse");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return abstain("ballot unreadable: not a JSON object");
  }
  const raw = parsed as Record<string, unknown>;
  const rationale = typeof raw.rationale === "string" ? raw.rationale.slice(0, 4000) : "";
  const c = typeof raw.confidence === "number" && Number.isFinite(raw.confidence) ? raw.confidence : 0.5;
  const confidence = Math.min(1, Math.max(0, c));
  if (raw.choice === null || raw.choice === undefined) return { choice: null, confidence, rationale };
  if (typeof raw.choice !== "string") return abstain("ballot invalid: choice is not a string");
  const wanted = raw.choice.trim().toLowerCase();
  const option = options.find((o) => o.choice.toLowerCase() === wanted);
  if (!option) return abstain(`ballot invalid: "${raw.choice.slice(0, 80)}" is not on the ballot`);
  return { choice: option.choice, confidence, rationale };
}
