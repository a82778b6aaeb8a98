import type { Style } from "../term/style.js";

/** One LLM call of a turn's timeline, as the API answers it (only what the CLI prints). */
export interface TimelineCall {
  id: string;
  purpose: string;
  step: number;
  provider: string;
  model: string;
  prompt: { system: string; messages: { role?: unknown; name?: unknown; content?: unknown }[] };
  durationMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  outcome: string;
  error: string | null;
}

/** One step of a turn's timeline: the event, and the LLM call it is the outcome of. */
export interface TimelineStep {
  seq: number;
  event: unknown;
  call: TimelineCall | null;
}

/**
 * The prompt a call was sent, as lines to print under its outcome: a heading with the model, time
 * and tokens, the system prompt, then each message with its role; every line of text kept as sent.
 */
export function promptLines(call: TimelineCall, style: Style): string[] {
  const tokens =
    call.inputTokens === null ? "" : ` · ${call.inputTokens} in / ${call.outputTokens ?? "?"} out tokens`;
  const out = [
    style.dim(
      `prompt (${call.purpose}${call.step > 0 ? `, step ${call.step}` : ""}) → ${call.provider}/${call.model} · ${call.durationMs}ms${tokens}`,
    ),
  ];
  const block = (label: string, text: string) => {
    out.push(style.bold(label));
    for (const line of text.split("\n")) out.push(`  ${line}`);
  };
  if (call.prompt.system) block("[system]", call.prompt.system);
  for (const m of call.prompt.messages) {
    const role = typeof m.role === "string" ? m.role : "?";
    const name = typeof m.name === "string" ? ` ${m.name}` : "";
    block(`[${role}${name}]`, typeof m.content === "string" ? m.content : JSON.stringify(m.content));
  }
  if (call.error) out.push(style.red(`error: ${call.error}`));
  return out;
}
