import {
  type Actor,
  type AnyConvEnvelope,
  type ConvEventType,
  type Envelope,
  isConvEvent,
  parseEnvelope,
} from "@conclave/subjects";
import type { Directory } from "../directory.js";

/** What a person reads about one event: who, one line, and the text that goes under it. */
export interface Described {
  actor: string;
  /** How the event reads: a failure, a vote, a tool, an answer, memory, or the rest. */
  tone: "fail" | "vote" | "tool" | "answer" | "person" | "memory" | "plain";
  summary: string;
  /** Longer text (an answer, a tool's result, a tally), one string per line. */
  body: string[];
}

type Describe<K extends ConvEventType> = (
  e: Envelope<K>,
  cx: Cx,
) => Omit<Described, "actor"> & { actor?: string };

interface Cx {
  directory: Directory | undefined;
  agent(id: string | undefined, name?: string): string;
}

const short = (id: string) => id.slice(-8);
const pct = (x: number) => `${Math.round(x * 100)}%`;
const ms = (n: number) => `${n} ms`;
const join = (parts: (string | false | undefined | null)[]) => parts.filter(Boolean).join(" · ");

/** Text as body lines (a short single line goes inline instead). */
function textOf(s: string, inlineMax = 100): { inline: string | undefined; body: string[] } {
  if (!s.includes("\n") && s.length <= inlineMax) return { inline: s, body: [] };
  return { inline: undefined, body: s.split("\n") };
}

const MAX_JSON = 2_000;
/** Compact JSON, cut with a note of how much was left out. */
export function jsonOf(v: unknown, max = MAX_JSON): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length <= max
    ? s
    : `${s.slice(0, max)}… (${(s.length - max).toLocaleString("en")} more characters)`;
}

function tokens(
  u: { inputTokens: number; outputTokens: number; cachedTokens: number } | undefined,
): string | undefined {
  if (!u) return undefined;
  return `${u.inputTokens} in / ${u.outputTokens} out tokens${u.cachedTokens > 0 ? ` (${u.cachedTokens} cached)` : ""}`;
}

const sinceAt = (e: { at: string }, iso: string) => `+${Math.max(0, Date.parse(iso) - Date.parse(e.at))} ms`;

const DESCRIBE: { [K in ConvEventType]: Describe<K> } = {
  "message.posted": (e) => {
    const t = textOf(e.payload.content);
    return { tone: "person", summary: t.inline ?? `${e.payload.content.length} characters`, body: t.body };
  },
  "turn.started": (e, cx) => {
    const p = e.payload;
    const m = p.memory;
    const memory = m
      ? join([
          `memory: ${m.entries} earlier entries${m.fromSeq !== null ? ` (seq ${m.fromSeq}–${m.toSeq})` : ""}`,
          m.summaryId ? `summary ${short(m.summaryId)}` : "no summary",
          m.resetSeq > 0 && `reset after seq ${m.resetSeq}`,
          m.blocks.length > 0 && `blocks ${m.blocks.map((b) => `${b.label} v${b.version}`).join(", ")}`,
        ])
      : undefined;
    return {
      tone: "plain",
      summary: join([
        p.strategy,
        `agents ${p.agentIds.map((id) => cx.agent(id)).join(", ") || "none"}`,
        `deadline ${sinceAt(e, p.deadline)}`,
        `message seq ${p.messageSeq}`,
      ]),
      body: memory ? [memory] : [],
    };
  },
  "speaker.selected": (e) => {
    const p = e.payload;
    return {
      tone: "plain",
      summary: join([
        `→ ${p.agentName}`,
        `rule ${p.rule}`,
        p.round !== undefined && `round ${p.round}`,
        p.reason,
      ]),
      body: [],
    };
  },
  "guard.triggered": (e, cx) => ({
    tone: "fail",
    summary: join([
      `${e.payload.code}: ${e.payload.reason}`,
      e.payload.agentId && `agent ${cx.agent(e.payload.agentId)}`,
    ]),
    body: [],
  }),
  "agent.replied": (e, cx) => {
    const p = e.payload;
    const t = textOf(p.content, 80);
    const asked = p.purpose && p.purpose !== "reply" ? p.purpose : undefined;
    const skipped = (p.skipped ?? []).map(
      (s) => `passed over ${s.provider}/${s.model}: ${s.reason} (${s.error})`,
    );
    return {
      actor: cx.agent(p.agentId, p.agentName),
      tone: "answer",
      summary: join([
        // A ballot or a pick is JSON: as it is; an answer in quotes, apart from what follows it.
        t.inline === undefined ? asked : asked ? `${asked} ${t.inline}` : `“${t.inline}”`,
        `${p.provider}/${p.model}`,
        tokens(p.usage),
        `latency ${ms(p.latencyMs)}`,
      ]),
      body: [...t.body, ...skipped],
    };
  },
  "agent.failed": (e, cx) => ({
    actor: cx.agent(e.payload.agentId, e.payload.agentName),
    tone: "fail",
    summary: `${e.payload.reason === "budget" ? "refused (budget)" : "failed"}: ${e.payload.error}`,
    body: [],
  }),
  "agent.tool_requested": (e, cx) => {
    const p = e.payload;
    return {
      actor: cx.agent(p.agentId, p.agentName),
      tone: "tool",
      summary: join([
        `step ${p.step}`,
        `asks for ${p.calls.map((c) => c.name).join(", ")}`,
        p.model,
        tokens(p.usage),
      ]),
      body: [
        ...(p.content ? textOf(p.content, 0).body : []),
        ...p.calls.map((c) => `${c.name}(${jsonOf(c.args)})  call ${c.id}`),
      ],
    };
  },
  "tool.approval_requested": (e, cx) => ({
    actor: cx.agent(e.payload.agentId),
    tone: "tool",
    summary: `${e.payload.name} waits for a person's approval · key ${e.payload.key.slice(0, 12)}`,
    body: [`${e.payload.name}(${jsonOf(e.payload.args)})`],
  }),
  "tool.approved": (e) => ({
    tone: "tool",
    summary: join([`approved key ${e.payload.key.slice(0, 12)}`, e.payload.reason]),
    body: [],
  }),
  "tool.denied": (e) => ({
    tone: "fail",
    summary: join([`denied key ${e.payload.key.slice(0, 12)}`, e.payload.reason]),
    body: [],
  }),
  "tool.completed": (e, cx) => {
    const p = e.payload;
    return {
      actor: cx.agent(p.agentId),
      tone: p.ok ? "tool" : "fail",
      summary: join([
        `${p.name} ${p.ok ? "ok" : "failed"}`,
        `step ${p.step}`,
        ms(p.durationMs),
        p.replayed && "result from the ledger (not run again)",
      ]),
      body: [
        p.ok
          ? `→ ${jsonOf(p.result)}`
          : `✗ ${p.error?.code ?? "error"}: ${p.error?.message ?? jsonOf(p.result)}`,
      ],
    };
  },
  "vote.opened": (e) => {
    const p = e.payload;
    const rule = p.rule.kind === "supermajority" ? `supermajority ${pct(p.rule.threshold)}` : p.rule.kind;
    const quorum =
      p.quorum.kind === "count"
        ? `${p.quorum.min} ballot${p.quorum.min === 1 ? "" : "s"}`
        : `${pct(p.quorum.min)} of voters`;
    return {
      tone: "vote",
      summary: join([
        `${p.options.length} options`,
        `voters ${p.voters.map((v) => v.agentName).join(", ")}`,
        rule,
        `quorum ${quorum}`,
        `closes ${sinceAt(e, p.deadline)}`,
      ]),
      body: p.options.map((o) => `option ${o.choice}: ${o.summary}`),
    };
  },
  "vote.cast": (e) => {
    const p = e.payload;
    return {
      actor: p.agentName,
      tone: "vote",
      summary: `${p.choice === null ? "abstains" : `votes ${p.choice}`} (confidence ${pct(p.confidence)})`,
      body: p.rationale ? [p.rationale] : [],
    };
  },
  "vote.closed": (e, cx) => {
    const p = e.payload;
    const missing = p.turnout.missing.map((id) => cx.agent(id));
    return {
      tone: "vote",
      summary: join([
        p.winner !== null ? `winner ${p.winner}` : `no winner${p.leader ? ` (leader ${p.leader})` : ""}`,
        p.outcome,
        `closed by ${p.closedBy === "all_voted" ? "every ballot in" : "its deadline"}`,
        `turnout ${p.turnout.voted}/${p.turnout.eligible}${p.turnout.abstained > 0 ? `, ${p.turnout.abstained} abstained` : ""}${missing.length > 0 ? `, missing ${missing.join(", ")}` : ""}`,
        `quorum ${p.quorum.required} ${p.quorum.met ? "met" : "not met"}`,
      ]),
      body: [
        ...p.choices.map(
          (c) =>
            `${c.choice}: ${c.count} vote${c.count === 1 ? "" : "s"} (${pct(c.share)}, mean confidence ${pct(c.meanConfidence)}) from ${c.voters.map((id) => cx.agent(id)).join(", ")}`,
        ),
        ...(p.tieBreak ? [`tie between ${p.tieBreak.tied.join(", ")} broken by ${p.tieBreak.by}`] : []),
        p.reason,
      ],
    };
  },
  "consensus.reached": (e) => {
    const p = e.payload;
    return {
      tone: "vote",
      summary: `consensus on ${p.choice} · ${pct(p.confidence)} of the votes · ${p.rule}`,
      body: p.answer ? textOf(p.answer, 0).body : [],
    };
  },
  "consensus.failed": (e) => {
    const p = e.payload;
    return {
      tone: "fail",
      summary: join([
        `no consensus: ${p.code}`,
        p.reason,
        p.leader ? `leader ${p.leader} with ${pct(p.confidence)}` : "no leader",
      ]),
      body: [],
    };
  },
  "turn.cancel_requested": (e) => ({
    tone: "fail",
    summary: `cancel asked${e.payload.reason ? `: ${e.payload.reason}` : ""}`,
    body: [],
  }),
  "turn.completed": (e) => ({
    tone: "plain",
    summary: `completed · ${e.payload.replyIds.length} answer${e.payload.replyIds.length === 1 ? "" : "s"} · ${ms(e.payload.durationMs)}`,
    body: [],
  }),
  "turn.failed": (e) => ({
    tone: "fail",
    summary: `failed: ${e.payload.reason} · ${e.payload.detail} · ${ms(e.payload.durationMs)}`,
    body: [],
  }),
  "memory.updated": (e) => {
    const p = e.payload;
    return {
      tone: "memory",
      summary: `${p.action} block ${p.label} → v${p.version} (limit ${p.limit})`,
      body: p.value === null ? [] : textOf(p.value, 0).body,
    };
  },
  "memory.reset": (e) => ({
    tone: "memory",
    summary: `memory reset${e.payload.reason ? `: ${e.payload.reason}` : ""}`,
    body: [],
  }),
  "memory.summarized": (e, cx) => {
    const p = e.payload;
    return {
      actor: cx.agent(p.agentId),
      tone: "memory",
      summary: join([
        `summary of seq ${p.fromSeq}–${p.upToSeq}`,
        `${p.tokens} tokens`,
        `${p.provider}/${p.model}`,
        tokens(p.usage),
        p.previousId && `extends ${short(p.previousId)}`,
      ]),
      body: textOf(p.summary, 0).body,
    };
  },
  "budget.exceeded": (e, cx) => {
    const p = e.payload;
    return {
      actor: cx.agent(p.agentId, p.agentName),
      tone: "fail",
      summary: join([
        `refused by the ${p.scope} ${p.unit} budget (${p.period} from ${p.periodStart})`,
        `asked ${amount(p.requested, p)} with ${amount(p.spent, p)} spent and ${amount(p.reserved, p)} reserved of ${amount(p.cap, p)}`,
      ]),
      body: [],
    };
  },
  "budget.warning": (e) => {
    const p = e.payload;
    return {
      tone: "plain",
      summary: join([
        `${p.scope} ${p.unit} budget past ${pct(p.warnAt)} (${p.period} from ${p.periodStart})`,
        `${amount(p.spent, p)} spent of ${amount(p.cap, p)}`,
      ]),
      body: [],
    };
  },
};

function amount(n: number, b: { unit: "tokens" | "money"; currency?: string | undefined }): string {
  return b.unit === "tokens"
    ? `${n.toLocaleString("en")} tokens`
    : `${n.toFixed(4)} ${b.currency ?? ""}`.trim();
}

function actorName(a: Actor, directory: Directory | undefined): string {
  if (a.kind === "system") return a.name ?? (a.id === "conclave" ? "conclave" : a.id);
  if (a.kind === "agent") return a.name ?? directory?.agent(a.id) ?? `agent ${short(a.id)}`;
  return a.name ?? directory?.person(a.id) ?? `user ${short(a.id)}`;
}

/** An event as it was recorded, checked against the catalog: known types get their own reading. */
export type Readable =
  | { known: true; event: AnyConvEnvelope }
  | { known: false; event: Record<string, unknown> };

export function readEvent(raw: unknown): Readable {
  const parsed = parseEnvelope(raw);
  if (parsed.ok && isConvEvent(parsed.envelope)) return { known: true, event: parsed.envelope };
  return { known: false, event: (raw ?? {}) as Record<string, unknown> };
}

/** Describes an event; one of a type this CLI does not know (or that fails its schema) gets a generic line. */
export function describeEvent(r: Readable, directory?: Directory): Described {
  const cx: Cx = {
    directory,
    agent: (id, name) => name ?? (id ? (directory?.agent(id) ?? `agent ${short(id)}`) : "agent"),
  };
  if (!r.known) {
    const actor = r.event.actor as Actor | undefined;
    return {
      actor: actor && typeof actor.id === "string" ? actorName(actor, directory) : "?",
      tone: "plain",
      summary: jsonOf(r.event.payload ?? null, 300),
      body: [],
    };
  }
  const e = r.event;
  const d = (DESCRIBE[e.type] as Describe<ConvEventType>)(e as Envelope<ConvEventType>, cx);
  return { actor: d.actor ?? actorName(e.actor, directory), tone: d.tone, summary: d.summary, body: d.body };
}
