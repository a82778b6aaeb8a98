/** A tool call the scripted provider makes, the same every time. */
export interface ScriptedToolCall {
  name: string;
  args?: Record<string, unknown>;
  /** Defaults to `call_<turnIndex>_<position>`. */
  id?: string;
}

/** A ballot the scripted provider casts when asked to vote; a `null` choice abstains. */
export interface ScriptedVote {
  choice: string | null;
  confidence: number;
  rationale: string;
}

/**
 * What the offline `scripted` provider does. A superset of `AgentSnapshot["scripted"]` in
 * `@conclave/subjects`, so a snapshot can be passed as it is.
 */
export interface ScriptOptions {
  /** Canned replies (and selector picks), cycled by turn index plus the ask's index in the turn. */
  replies?: string[];
  /** Reply with the last message's text. */
  echo?: boolean;
  /** Wait this long before answering (simulated latency), at most `SCRIPTED_MAX_DELAY_MS`. */
  delayMs?: number;
  /** Wait this long between streamed words; the provider stops waiting after `SCRIPTED_MAX_DELAY_MS` in all. */
  tokenDelayMs?: number;
  /** Fail permanently with this reason. */
  failWith?: string;
  /**
   * Ask for these tools (when the request offers any tools and the last message is not a tool
   * result); once the results are in, answer as usual.
   */
  toolCalls?: ScriptedToolCall[];
  /** Ballots cast when asked to vote, cycled by turn; without them the agent abstains. */
  votes?: ScriptedVote[];
}
