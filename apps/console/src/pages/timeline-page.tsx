import { useState } from "react";
import type { Timeline, TimelineCall } from "../api/types.js";
import { Link } from "../components/link.js";
import { useApi } from "../components/use-api.js";

/** A recorded turn, step by step: each event, and for each LLM call its prompt, reply, time and tokens. */
export function TimelinePage({ groupId, turnId }: { groupId: string; turnId: string }) {
  const timeline = useApi<Timeline>(`/v1/groups/${groupId}/turns/${turnId}/timeline`);
  const steps = timeline.data?.steps ?? [];
  const first = steps[0] ? Date.parse(steps[0].event.at) : 0;
  const calls = steps.flatMap((s) => (s.call ? [s.call] : []));
  const tokens = calls.reduce((n, c) => n + (c.inputTokens ?? 0) + (c.outputTokens ?? 0), 0);
  return (
    <section className="page">
      <p className="small">
        <Link to={`/groups/${groupId}`}>← Back to the room</Link>
      </p>
      <div className="page-head">
        <h1>Turn timeline</h1>
        <p className="muted small mono">{turnId}</p>
      </div>
      {timeline.error && (
        <p className="error" role="alert">
          {timeline.error}
        </p>
      )}
      {timeline.loading && !timeline.data && <p className="muted">Loading…</p>}
      {timeline.data && (
        <p className="stats">
          <span>
            <strong>{steps.length}</strong> events
          </span>
          <span>
            <strong>{calls.length}</strong> LLM calls
          </span>
          <span>
            <strong>{tokens}</strong> tokens
          </span>
        </p>
      )}
      <ol className="timeline" aria-label="Steps">
        {steps.map((s) => (
          <li key={s.seq} className="step" data-type={s.event.type}>
            <div className="step-head">
              <span className="mono small muted">
                +{((Date.parse(s.event.at) - first) / 1000).toFixed(2)} s
              </span>
              <code className="type">{s.event.type}</code>
              <span className="muted small">seq {s.seq}</span>
              {s.event.actor.name && <span className="small">{s.event.actor.name}</span>}
            </div>
            <Summary payload={s.event.payload} />
            {s.call && <CallView call={s.call} />}
          </li>
        ))}
      </ol>
    </section>
  );
}

function Summary({ payload }: { payload: unknown }) {
  const p = (payload ?? {}) as Record<string, unknown>;
  if ("choice" in p && typeof p.agentName === "string")
    return (
      <p className="step-text">
        {p.agentName} → {typeof p.choice === "string" ? p.choice : "abstains"}
        {typeof p.rationale === "string" && p.rationale ? `: ${p.rationale}` : ""}
      </p>
    );
  const text = [p.reason, p.content, p.detail, p.outcome].find((v) => typeof v === "string" && v);
  if (typeof text !== "string") return null;
  return <p className="step-text">{text.length > 400 ? `${text.slice(0, 400)}…` : text}</p>;
}

function CallView({ call }: { call: TimelineCall }) {
  const [open, setOpen] = useState(false);
  const id = `prompt-${call.id}`;
  return (
    <div className={`call ${call.outcome}`}>
      <p className="call-meta small">
        <strong>{call.agentName}</strong> · {call.purpose} · {call.provider}/{call.model} · {call.durationMs}{" "}
        ms · {call.inputTokens ?? "?"} in / {call.outputTokens ?? "?"} out tokens
        {call.cost !== null ? ` · ${call.cost.toFixed(6)} ${call.currency ?? ""}` : ""}
      </p>
      <button
        type="button"
        className="ghost small"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
      >
        {open ? "Hide prompt" : "Show prompt"}
      </button>
      {open && (
        <div id={id} className="prompt">
          <h3 className="small">System</h3>
          <pre>{call.prompt.system || "(none)"}</pre>
          <h3 className="small">Messages</h3>
          {call.prompt.messages.map((m, i) => (
            // The prompt's messages have no ids; their order is the prompt.
            // biome-ignore lint/suspicious/noArrayIndexKey: the position is the identity here
            <pre key={i}>
              <strong>{String(m.role ?? "")}</strong>
              {m.name ? ` (${String(m.name)})` : ""}: {String(m.content ?? JSON.stringify(m))}
            </pre>
          ))}
          <h3 className="small">Reply</h3>
          <pre>{call.reply ?? call.error ?? ""}</pre>
        </div>
      )}
    </div>
  );
}
