import type { LlmProvider } from "../provider.js";
import type { FakeReply, RecordedRequest } from "./fake-http-server.js";

/** Token counts a fake server reports; `input` includes `cached`. */
export interface WireUsage {
  input: number;
  output: number;
  cached: number;
}

export interface WireToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

/** One provider's wire protocol, as its API reference documents it, for a fake server to speak. */
export interface ProviderWire {
  /** The adapter's provider name. */
  name: string;
  /** The model the tests ask for. */
  model: string;
  /** The adapter under test, pointed at a fake server. */
  create(baseUrl: string): LlmProvider;
  /** What the real API would reject: wrong method, path, auth or body. */
  check(request: RecordedRequest): string | undefined;
  text(reply: { chunks: string[]; model: string; usage: WireUsage }): FakeReply;
  toolUse(reply: { text: string; calls: WireToolCall[]; model: string; usage: WireUsage }): FakeReply;
  error(status: number, headers?: Record<string, string>): FakeReply;
  /** A stream that sends `chunks` of text, then the provider's in-stream error. */
  broken(chunks: string[]): FakeReply;
  /** A stream that sends `chunks` of text and ends without its documented ending. */
  truncated(chunks: string[]): FakeReply;
}

/** Splits a string into `n` nearly equal pieces, as a server streaming JSON arguments would. */
export function pieces(text: string, n = 3): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
