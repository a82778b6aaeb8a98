import type { ConversationMessage } from "@conclave/subjects";

/** An answer given earlier in the turn, as later speakers see it. */
export interface Said {
  readonly name: string;
  readonly content: string;
}

/** The message that opened the turn. */
export interface Prompt {
  readonly name?: string;
  readonly content: string;
}

/**
 * The current turn as an agent is asked it (after its memory): the message, and when others spoke
 * before it in this turn, their answers (oldest first) and whose turn it is. With no earlier answers
 * it is exactly the message, as a broadcast sends it.
 */
export function answerMessages(
  prompt: Prompt,
  said: readonly Said[],
  speaker: string,
  instruction?: string,
): ConversationMessage[] {
  const name = prompt.name ? { name: prompt.name } : {};
  if (said.length === 0 && !instruction) return [{ role: "user", ...name, content: prompt.content }];
  const parts = [prompt.content];
  if (said.length > 0) parts.push(`Answers so far in this conversation:\n${transcript(said)}`);
  parts.push(instruction ?? `You are ${speaker}; it is your turn to answer.`);
  return [{ role: "user", ...name, content: parts.join("\n\n") }];
}

/** Earlier answers of the turn, one per paragraph, attributed as history is (`[name]: …`). */
export function transcript(said: readonly Said[]): string {
  return said.map((s) => `[${s.name}]: ${s.content}`).join("\n\n");
}
