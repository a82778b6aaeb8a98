import type { ConversationMessage, MemoryBlock, MemoryEntry, SummaryRef } from "@conclave/subjects";
import { attributed, speakerName } from "./entries.js";

/**
 * Earlier conversation as one agent is sent it, oldest first: its own answers in the assistant role;
 * people's messages and other agents' answers in the user role, attributed by name (`[Ada]: …`,
 * also in `name`); a vote's outcome as `[vote] …`. Each provider adapter maps `name` to its API.
 */
export function renderHistory(entries: readonly MemoryEntry[], agentId: string): ConversationMessage[] {
  return entries.map((e) =>
    e.kind === "reply" && e.by.kind === "agent" && e.by.id === agentId
      ? { role: "assistant", content: e.content }
      : e.kind === "outcome"
        ? { role: "user", content: attributed(e) }
        : { role: "user", name: speakerName(e.by), content: attributed(e) },
  );
}

/** The memory part of every agent's system prompt: the blocks, then the summary ("" when neither). */
export function memorySystemText(blocks: readonly MemoryBlock[], summary: SummaryRef | null): string {
  const parts: string[] = [];
  if (blocks.length > 0) {
    const listed = blocks.map((b) => `<block label="${b.label}">\n${b.value}\n</block>`).join("\n");
    parts.push(`Memory blocks (facts pinned for this group; keep to them):\n${listed}`);
  }
  if (summary) parts.push(`Summary of the conversation before the messages that follow:\n${summary.text}`);
  return parts.join("\n\n");
}

/** An agent's system prompt with the group's memory after it. */
export function withMemory(systemPrompt: string, memoryText: string): string {
  if (!memoryText) return systemPrompt;
  return systemPrompt.trim() ? `${systemPrompt}\n\n${memoryText}` : memoryText;
}
