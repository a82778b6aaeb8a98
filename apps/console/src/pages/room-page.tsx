import { type FormEvent, type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client.js";
import type { Group, Posted } from "../api/types.js";
import { Link } from "../components/link.js";
import { errorText, useApi } from "../components/use-api.js";
import type { Entry } from "../room/transcript.js";
import { useTranscript } from "../room/use-transcript.js";
import { VoteCard } from "../room/vote-card.js";
import { GroupTabs } from "./group-tabs.js";

const STATUS_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  closed: "Offline",
};

export function RoomPage({ groupId }: { groupId: string }) {
  const group = useApi<Group>(`/v1/groups/${groupId}`);
  const names = useMemo(
    () => (group.data ? Object.fromEntries(group.data.agents.map((a) => [a.id, a.name])) : undefined),
    [group.data],
  );
  const canReplay = group.data !== undefined && group.data.role !== "viewer";
  const ready = group.data !== undefined;
  return (
    <section className="page room-page">
      {group.error && (
        <p className="error" role="alert">
          {group.error}
        </p>
      )}
      <GroupTabs group={group.data} current="room" />
      {ready && (
        <Room groupId={groupId} names={names} canReplay={canReplay} canPost={group.data?.role !== "viewer"} />
      )}
    </section>
  );
}

function Room(props: {
  groupId: string;
  names: Record<string, string> | undefined;
  canReplay: boolean;
  canPost: boolean;
}) {
  const { groupId } = props;
  const { transcript, status, detail } = useTranscript(groupId, props.names, props.canReplay);
  const end = useRef<HTMLDivElement>(null);
  const [stick, setStick] = useState(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: each change of the transcript scrolls
  useEffect(() => {
    if (stick) end.current?.scrollIntoView({ block: "end" });
  }, [transcript, stick]);
  useEffect(() => {
    const onScroll = () =>
      setStick(window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120);
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => window.removeEventListener("scroll", onScroll);
  }, []);

  return (
    <div className="room">
      <p className={`conn ${status}`} role="status" aria-live="polite">
        <span className="dot" aria-hidden="true" /> {STATUS_TEXT[status]}
        {detail && status !== "live" ? ` · ${detail}` : ""}
        <span className="muted small"> · seq {transcript.lastSeq}</span>
      </p>
      <ol className="log" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation">
        {transcript.entries.length === 0 && (
          <li className="muted empty-log">No messages yet. Say something to the group.</li>
        )}
        {transcript.entries.map((e) => (
          <EntryView key={`${e.kind}-${e.seq}-${"key" in e ? e.key : ""}`} entry={e} groupId={groupId} />
        ))}
      </ol>
      <ol className="log streaming" aria-label="Answers being written" aria-live="off">
        {transcript.streaming.map((s) => (
          <li key={s.workId} className="entry reply live" data-streaming={s.workId} aria-busy="true">
            <div className="who">
              <span className="avatar" aria-hidden="true">
                {(transcript.names[s.agentId] ?? s.agentName).slice(0, 1)}
              </span>
              <strong>{transcript.names[s.agentId] ?? s.agentName}</strong>{" "}
              <span className="muted small">is answering…</span>
            </div>
            <p className="bubble">
              <span className="tokens">{s.text}</span>
              <span className="caret" aria-hidden="true" />
            </p>
          </li>
        ))}
      </ol>
      <div ref={end} />
      {props.canPost && <Composer groupId={groupId} />}
    </div>
  );
}

function Composer({ groupId }: { groupId: string }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    const content = text.trim();
    if (!content) return;
    setBusy(true);
    setError(undefined);
    try {
      await api<Posted>("POST", `/v1/groups/${groupId}/messages`, { body: { content } });
      setText("");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  };
  return (
    <form className="composer" onSubmit={(e) => void send(e)}>
      <label className="sr-only" htmlFor="message">
        Message
      </label>
      <textarea
        id="message"
        rows={2}
        placeholder="Message the group (Enter sends, Shift+Enter for a new line)"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
      />
      <button type="submit" className="primary" disabled={busy || !text.trim()}>
        Send
      </button>
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function EntryView({ entry: e, groupId }: { entry: Entry; groupId: string }) {
  const common = { "data-seq": e.seq, "data-kind": e.kind };
  switch (e.kind) {
    case "message":
      return (
        <li className="entry message" {...common}>
          <div className="who">
            <strong>{e.author}</strong> <time className="muted small">{timeOf(e.at)}</time>
          </div>
          <p className="bubble mine">{e.content}</p>
        </li>
      );
    case "reply":
      return (
        <li className="entry reply" {...common}>
          <div className="who">
            <span className="avatar" aria-hidden="true">
              {e.agentName.slice(0, 1)}
            </span>
            <strong>{e.agentName}</strong>{" "}
            <span className="muted small">
              {e.model}
              {e.latencyMs ? ` · ${(e.latencyMs / 1000).toFixed(1)} s` : ""}
            </span>
          </div>
          <p className="bubble">{e.content}</p>
        </li>
      );
    case "speaker":
      return (
        <li className="entry meta" {...common}>
          <span className="badge subtle">{e.rule.replace("_", " ")}</span> <strong>{e.agentName}</strong>{" "}
          speaks
          {e.reason ? <span className="muted"> — {e.reason}</span> : null}
        </li>
      );
    case "tool":
      return <ToolEntry entry={e} groupId={groupId} />;
    case "vote":
      return (
        <li className="entry" {...common}>
          <VoteCard question={e.question} vote={e.vote} />
        </li>
      );
    case "turn":
      return (
        <li className={`entry meta turn ${e.status}`} {...common}>
          <span
            className={`badge ${e.status === "failed" ? "bad" : e.status === "completed" ? "good" : "subtle"}`}
          >
            {e.status === "started"
              ? "Turn started"
              : e.status === "completed"
                ? "Turn completed"
                : "Turn failed"}
          </span>{" "}
          <span className="muted small">{e.detail}</span>
          {e.status !== "started" && e.turnId && (
            <>
              {" "}
              <Link to={`/groups/${groupId}/turns/${e.turnId}`} className="small">
                Timeline
              </Link>
            </>
          )}
        </li>
      );
    case "note":
      return (
        <li className="entry meta" {...common}>
          <span className="muted">{e.text}</span>
        </li>
      );
  }
}

function ToolEntry({ entry: e, groupId }: { entry: Extract<Entry, { kind: "tool" }>; groupId: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const decide = async (approve: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await api("POST", `/v1/groups/${groupId}/turns/${e.turnId}/tool-decisions`, {
        body: { key: e.key, approve },
      });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  const label: Record<typeof e.status, string> = {
    requested: "running",
    waiting: "waiting for approval",
    approved: "approved",
    denied: "denied",
    ok: "done",
    failed: "failed",
  };
  return (
    <li className={`entry tool ${e.status}`} data-seq={e.seq} data-kind="tool" data-tool-status={e.status}>
      <div className="tool-head">
        <span className="badge">Tool</span> <code>{e.name}</code>{" "}
        <span className="muted small">by {e.agentName}</span>{" "}
        <span className={`pill ${e.status}`}>{label[e.status]}</span>
      </div>
      <pre className="args">{JSON.stringify(e.args, null, 1)}</pre>
      {e.status === "ok" && e.result !== undefined && (
        <pre className="args result">{JSON.stringify(e.result, null, 1).slice(0, 2000)}</pre>
      )}
      {e.error && <p className="error small">{e.error}</p>}
      {e.status === "waiting" && (
        <div className="row actions">
          <button type="button" className="primary" disabled={busy} onClick={() => void decide(true)}>
            Approve
          </button>
          <button type="button" className="danger" disabled={busy} onClick={() => void decide(false)}>
            Deny
          </button>
        </div>
      )}
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

const timeOf = (at: string) => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
