import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { Group } from "../api/types.js";
import { FormError, SaveRow } from "../components/form-feedback.js";
import { errorText, useApi } from "../components/use-api.js";
import { GroupTabs } from "./group-tabs.js";

interface Block {
  label: string;
  value: string;
  limit: number;
  version: number;
  updatedAt: string;
}

interface AgentContext {
  sent: { systemPrompt: string; messages: { role: string; name?: string; content: string }[] };
  parts: { part: string; messages: number; tokens: number }[];
  tokens: number;
}

export function MemoryPage({ groupId }: { groupId: string }) {
  const group = useApi<Group>(`/v1/groups/${groupId}`);
  const blocks = useApi<{ items: Block[]; totalChars: number; limits: { maxTotalChars: number } }>(
    `/v1/groups/${groupId}/memory/blocks`,
  );
  return (
    <section className="page">
      <GroupTabs group={group.data} current="memory" />
      <div className="two">
        <div className="stack">
          <h2>Memory blocks</h2>
          <p className="muted small">
            Pinned facts every agent of the group is sent.{" "}
            {blocks.data &&
              `${blocks.data.totalChars} of ${blocks.data.limits.maxTotalChars} characters used.`}
          </p>
          {blocks.error && <p className="error">{blocks.error}</p>}
          {blocks.data?.items.map((b) => (
            <BlockEditor
              key={`${b.label}-${b.version}`}
              groupId={groupId}
              block={b}
              onSaved={blocks.reload}
            />
          ))}
          <BlockEditor groupId={groupId} onSaved={blocks.reload} />
        </div>
        <div className="stack">
          <h2>What an agent sees</h2>
          {group.data && <ContextView groupId={groupId} agents={group.data.agents} />}
        </div>
      </div>
    </section>
  );
}

function BlockEditor({ groupId, block, onSaved }: { groupId: string; block?: Block; onSaved(): void }) {
  const [label, setLabel] = useState(block?.label ?? "");
  const [value, setValue] = useState(block?.value ?? "");
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api("PUT", `/v1/groups/${groupId}/memory/blocks/${encodeURIComponent(label)}`, {
        body: { value },
        // Only over the version shown: someone else's change in between is a conflict, not lost.
        headers: { "if-match": String(block?.version ?? 0) },
      });
      setSaved(true);
      if (!block) {
        setLabel("");
        setValue("");
      }
      onSaved();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const id = `block-${block?.label ?? "new"}`;
  return (
    <form
      className="card stack"
      onSubmit={(e) => void save(e)}
      aria-label={block ? `Block ${block.label}` : "New block"}
    >
      {block ? (
        <div className="row">
          <h3 className="grow mono">{block.label}</h3>
          <span className="muted small">
            v{block.version} · {value.length}/{block.limit}
          </span>
        </div>
      ) : (
        <label>
          New block label
          <input
            required
            pattern="[a-z0-9][a-z0-9_-]{0,63}"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
        </label>
      )}
      <label htmlFor={id} className={block ? "sr-only" : undefined}>
        Text
      </label>
      <textarea id={id} rows={3} value={value} onChange={(e) => setValue(e.target.value)} />
      <SaveRow saved={saved} small />
      <FormError error={error} />
    </form>
  );
}

function ContextView({ groupId, agents }: { groupId: string; agents: Group["agents"] }) {
  const [agentId, setAgentId] = useState(agents[0]?.id ?? "");
  const [content, setContent] = useState("What do you know so far?");
  const [context, setContext] = useState<AgentContext>();
  const [error, setError] = useState<string>();
  const load = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const q = new URLSearchParams({ content });
      setContext(await api<AgentContext>("GET", `/v1/groups/${groupId}/agents/${agentId}/context?${q}`));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="card stack">
      <form className="stack" onSubmit={(e) => void load(e)}>
        <label>
          Agent
          <select value={agentId} onChange={(e) => setAgentId(e.target.value)}>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          If this message were posted now
          <input value={content} onChange={(e) => setContent(e.target.value)} />
        </label>
        <div>
          <button type="submit" className="primary small" disabled={!agentId}>
            Show the prompt
          </button>
        </div>
      </form>
      {error && <p className="error small">{error}</p>}
      {context && (
        <div className="prompt">
          <p className="small">
            <strong>{context.tokens}</strong> tokens:{" "}
            {context.parts.map((p) => `${p.part.replace("_", " ")} ${p.tokens}`).join(" · ")}
          </p>
          <h3 className="small">System</h3>
          <pre>{context.sent.systemPrompt}</pre>
          <h3 className="small">Messages</h3>
          {context.sent.messages.map((m, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the position is the identity here
            <pre key={i}>
              <strong>{m.role}</strong>
              {m.name ? ` (${m.name})` : ""}: {m.content}
            </pre>
          ))}
        </div>
      )}
    </div>
  );
}
