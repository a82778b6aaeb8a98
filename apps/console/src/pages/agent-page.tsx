import { type FormEvent, useEffect, useState } from "react";
import { api } from "../api/client.js";
import type { Agent, ProviderCatalog } from "../api/types.js";
import { FormError, SaveRow } from "../components/form-feedback.js";
import { Link } from "../components/link.js";
import { ProviderFields, ProviderIssueText } from "../components/provider-fields.js";
import { errorText, useApi } from "../components/use-api.js";
import { providerIssue } from "./providers.js";

/** Edits one agent: what it is, which provider and model answer for it, and its prompt. */
export function AgentPage({ agentId }: { agentId: string }) {
  const agent = useApi<Agent>(`/v1/agents/${agentId}`);
  const catalog = useApi<ProviderCatalog>("/v1/providers").data;
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
  const found = providerIssue(form.provider, form.model, catalog);
  // The stored choice may be saved again (the API allows it): only a changed one is refused.
  const changed = form.provider !== agent.data?.provider || form.model !== agent.data?.model;
  const issue = found && { ...found, blocking: found.blocking && changed };
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
          <ProviderFields
            id="agent"
            provider={form.provider}
            model={form.model}
            catalog={catalog}
            issue={issue}
            onChange={set}
            modelClassName="grow"
          />
        </div>
        <ProviderIssueText id="agent" issue={issue} />
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
        <SaveRow saved={saved} disabled={issue?.blocking} />
        <FormError error={error} />
      </form>
    </section>
  );
}
