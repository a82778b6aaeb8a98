import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { Agent, ProviderCatalog, Templates } from "../api/types.js";
import { FormError } from "../components/form-feedback.js";
import { Link } from "../components/link.js";
import { ProviderFields, ProviderIssueText } from "../components/provider-fields.js";
import { errorText, useApi } from "../components/use-api.js";
import { navigate } from "../router.js";
import { PROVIDERS, providerIssue } from "./providers.js";

interface Draft {
  draft: Omit<Agent, "id" | "enabled">;
}

export function AgentsPage() {
  const agents = useApi<{ items: Agent[] }>("/v1/agents?limit=200");
  // What live executors serve (with the person's own keys): the wizard offers it, and refuses the rest.
  const catalog = useApi<ProviderCatalog>("/v1/providers");
  return (
    <section className="page">
      <div className="page-head">
        <h1>Agents</h1>
      </div>
      <div className="two">
        <div className="card">
          <h2>Your agents</h2>
          {agents.error && <p className="error">{agents.error}</p>}
          {agents.data?.items.length === 0 && (
            <p className="muted">No agents yet: compose one with the wizard.</p>
          )}
          <ul className="plain">
            {agents.data?.items.map((a) => (
              <li key={a.id} className="agent-row">
                <span className="avatar" aria-hidden="true">
                  {a.name.slice(0, 1)}
                </span>
                <span className="grow">
                  <Link to={`/agents/${a.id}`}>{a.name}</Link>
                  <span className="muted small">
                    {" "}
                    · {a.provider}/{a.model}
                    {a.enabled ? "" : " · disabled"}
                  </span>
                </span>
              </li>
            ))}
          </ul>
        </div>
        <div className="stack">
          <Wizard catalog={catalog.data} />
          <Credentials onSaved={catalog.reload} />
        </div>
      </div>
    </section>
  );
}

/** Industry, role, tone and rules in; a draft out (nothing saved until "Create"). */
function Wizard({ catalog }: { catalog: ProviderCatalog | undefined }) {
  const templates = useApi<Templates>("/v1/agent-templates");
  const [role, setRole] = useState("");
  const [industry, setIndustry] = useState("");
  const [tone, setTone] = useState("");
  const [rules, setRules] = useState("");
  const [draft, setDraft] = useState<Draft["draft"]>();
  const [error, setError] = useState<string>();
  const compose = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const body = {
        role: role || templates.data?.roles[0]?.id,
        ...(industry ? { industry } : {}),
        ...(tone ? { tone } : {}),
        rules: rules
          .split("\n")
          .map((r) => r.trim())
          .filter(Boolean),
      };
      const res = await api<{ draft: Draft["draft"] }>("POST", "/v1/agent-templates/wizard", { body });
      setDraft(res.draft);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const issue = draft && providerIssue(draft.provider, draft.model, catalog);
  const create = async () => {
    if (!draft || issue?.blocking) return;
    setError(undefined);
    try {
      const agent = await api<Agent>("POST", "/v1/agents", { body: draft });
      navigate(`/agents/${agent.id}`);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const choices = (items: { id: string; label: string }[] | undefined, any: string) => [
    <option key="" value="">
      {any}
    </option>,
    ...(items ?? []).map((c) => (
      <option key={c.id} value={c.id}>
        {c.label}
      </option>
    )),
  ];
  return (
    <form className="card stack" onSubmit={(e) => void compose(e)} aria-label="Agent wizard">
      <h2>Compose an agent</h2>
      <div className="row">
        <label className="grow">
          Role
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {(templates.data?.roles ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Industry
          <select value={industry} onChange={(e) => setIndustry(e.target.value)}>
            {choices(templates.data?.industries, "General")}
          </select>
        </label>
        <label className="grow">
          Tone
          <select value={tone} onChange={(e) => setTone(e.target.value)}>
            {choices(templates.data?.tones, "The role's")}
          </select>
        </label>
      </div>
      <label>
        Rules (one a line)
        <textarea rows={2} value={rules} onChange={(e) => setRules(e.target.value)} />
      </label>
      <div>
        <button type="submit" className="ghost">
          Compose draft
        </button>
      </div>
      {draft && (
        <div className="stack draft">
          <div className="row">
            <label className="grow">
              Name
              <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
            </label>
            <ProviderFields
              id="draft"
              provider={draft.provider}
              model={draft.model}
              catalog={catalog}
              issue={issue}
              onChange={(patch) => setDraft({ ...draft, ...patch })}
            />
          </div>
          <ProviderIssueText id="draft" issue={issue} />
          <label>
            System prompt
            <textarea
              rows={5}
              value={draft.systemPrompt}
              onChange={(e) => setDraft({ ...draft, systemPrompt: e.target.value })}
            />
          </label>
          <div>
            <button
              type="button"
              className="primary"
              disabled={issue?.blocking}
              onClick={() => void create()}
            >
              Create agent
            </button>
          </div>
        </div>
      )}
      <FormError error={error} />
    </form>
  );
}

function Credentials({ onSaved }: { onSaved: () => void }) {
  const list = useApi<{ items: { provider: string; baseUrl: string | null }[] }>("/v1/provider-credentials");
  const [provider, setProvider] = useState("anthropic");
  const [apiKey, setApiKey] = useState("");
  const [error, setError] = useState<string>();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api("PUT", `/v1/provider-credentials/${provider}`, { body: { apiKey } });
      setApiKey("");
      list.reload();
      onSaved();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="card stack" onSubmit={(e) => void save(e)} aria-label="Provider keys">
      <h2>Provider keys</h2>
      <p className="muted small">
        Your own keys pay for your agents' calls. Stored encrypted, never shown again.{" "}
        {list.data && list.data.items.length > 0
          ? `You have keys for: ${list.data.items.map((c) => c.provider).join(", ")}.`
          : "You have none yet."}
      </p>
      <div className="row">
        <label>
          Provider
          <select value={provider} onChange={(e) => setProvider(e.target.value)}>
            {PROVIDERS.filter((p) => p !== "scripted").map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label className="grow">
          API key
          <input
            type="password"
            autoComplete="off"
            required
            minLength={8}
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
          />
        </label>
      </div>
      <div>
        <button type="submit" className="ghost small">
          Save key
        </button>
      </div>
      {error && <p className="error small">{error}</p>}
    </form>
  );
}
