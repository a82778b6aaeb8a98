import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";

/**
 * Tokens of a message's framing (role, separators) on top of its text, as OpenAI counts chat
 * messages; the other providers' framing is close to it.
 */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/**
 * Tokens of `text` with the o200k_base encoding (OpenAI's current models, exact there). Anthropic
 * and Google publish no tokenizer to run locally, so for them (and the scripted provider) this is
 * the documented estimate: within about 10–20 % of their own counts for English text.
 */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : countO200k(text);
}
