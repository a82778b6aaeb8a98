import { type FormEvent, useEffect, useState } from "react";
import { api } from "../api/client.js";
import type { Agent } from "../api/types.js";
import { Link } from "../components/link.js";
import { errorText, useApi } from "../components/use-api.js";
import { MODEL_HINTS, PROVIDERS, providerIssue } from "./providers.js";

/** Edits one agent: what it is, which provider and model answer for it, and its prompt. */
export function AgentPage({ agentId }: { agentId: string }) {
  const agent = useApi<Agent>(`/v1/agents/${agentId}`);
  const credentials = useApi<{ items: { provider: string }[] }>("/v1/provider-credentials");
  const [form, setForm] = useState<Agent>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const [tools, setTools] = useState("");
  useEffect(() => {
    setForm(agent.data);
    setTools(agent.data?.tools.join(", ") ?? "");
  }, [agent.data]);
  if (agent.error) return <p className="error page">{agent.error}</p>;
  if (!form) return <p className="muted page">Loading…</p>;
  const issue = providerIssue(
    form.provider,
    form.model,
    credentials.data?.items.map((c) => c.provider) ?? [],
  );
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      await api("PATCH", `/v1/agents/${agentId}`, {
        body: {
          name: form.name,
          description: form.description,
          provider: form.provider,
          model: form.model,
          personality: form.personality,
          systemPrompt: form.systemPrompt,
          tools: tools
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean),
          enabled: form.enabled,
        },
      });
      setSaved(true);
      agent.reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const set = (patch: Partial<Agent>) => setForm({ ...form, ...patch });
  return (
    <section className="page">
      <p className="small">
        <Link to="/agents">← Agents</Link>
      </p>
      <form className="card stack narrow" onSubmit={(e) => void save(e)} aria-label={`Edit ${form.name}`}>
        <h1>{agent.data?.name}</h1>
        <label>
          Name
          <input required value={form.name} onChange={(e) => set({ name: e.target.value })} />
        </label>
        <label>
          Description
          <input value={form.description} onChange={(e) => set({ description: e.target.value })} />
        </label>
        <div className="row">
          <label>
            Provider
            <select
              value={form.provider}
              onChange={(e) =>
                set({ provider: e.target.value, model: MODEL_HINTS[e.target.value]?.[0] ?? "" })
              }
            >
              {PROVIDERS.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <label className="grow">
            Model
            <input list="agent-models" value={form.model} onChange={(e) => set({ model: e.target.value })} />
            <datalist id="agent-models">
              {(MODEL_HINTS[form.provider] ?? []).map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
          </label>
        </div>
        {issue && <p className="warn small">{issue}</p>}
        <label>
          Personality
          <textarea
            rows={2}
            value={form.personality}
            onChange={(e) => set({ personality: e.target.value })}
          />
        </label>
        <label>
          System prompt
          <textarea
            rows={6}
            value={form.systemPrompt}
            onChange={(e) => set({ systemPrompt: e.target.value })}
          />
        </label>
        <label>
          Tools (comma-separated)
          <input value={tools} onChange={(e) => setTools(e.target.value)} />
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={form.enabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />{" "}
          Enabled
        </label>
        <div className="row">
          <button type="submit" className="primary">
            Save
          </button>
          {saved && (
            <span className="muted small" role="status">
              Saved
            </span>
          )}
        </div>
        {error && (
          <p className="error small" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
