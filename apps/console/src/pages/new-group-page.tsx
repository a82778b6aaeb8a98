import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { AgentTemplate, Group, ProviderCatalog, Templates } from "../api/types.js";
import { ProviderFields, ProviderIssueText } from "../components/provider-fields.js";
import { errorText, useApi } from "../components/use-api.js";
import { navigate } from "../router.js";
import { STRATEGY_LABELS } from "./groups-page.js";
import { type ProviderIssue, providerIssue } from "./providers.js";

interface Draft {
  key: string;
  templateId: string;
  name: string;
  provider: string;
  model: string;
  tools: string;
  scripted: string;
  systemPrompt: string;
  personality: string;
  description: string;
  temperature: number;
}

const draftOf = (t: AgentTemplate, n: number): Draft => ({
  key: `${t.id}-${n}`,
  templateId: t.id,
  name: t.agent.name,
  provider: t.agent.provider,
  model: t.agent.model,
  tools: t.agent.tools.join(", "),
  scripted: "",
  systemPrompt: t.agent.systemPrompt,
  personality: t.agent.personality,
  description: t.agent.description,
  temperature: t.agent.temperature,
});

export function NewGroupPage() {
  const templates = useApi<Templates>("/v1/agent-templates");
  // What live executors serve: the seats offer it, and refuse what none can run.
  const catalog = useApi<ProviderCatalog>("/v1/providers").data;
  const [name, setName] = useState("");
  const [strategy, setStrategy] = useState("broadcast");
  const [rounds, setRounds] = useState("");
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [count, setCount] = useState(0);

  const add = (t: AgentTemplate) => {
    setDrafts((d) => [...d, draftOf(t, count)]);
    setCount((c) => c + 1);
  };
  const change = (key: string, patch: Partial<Draft>) =>
    setDrafts((d) => d.map((x) => (x.key === key ? { ...x, ...patch } : x)));

  const providerIssues = drafts.map((d) => providerIssue(d.provider, d.model, catalog));
  const scriptedIssues = drafts.map((d) => {
    if (!d.scripted.trim()) return undefined;
    try {
      const v = JSON.parse(d.scripted) as unknown;
      if (typeof v !== "object" || v === null || Array.isArray(v))
        return "scripted settings must be a JSON object";
    } catch {
      return "scripted settings are not valid JSON";
    }
    return undefined;
  });
  const blocking =
    providerIssues.some((issue: ProviderIssue | undefined) => issue?.blocking) ||
    scriptedIssues.some(Boolean);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const maxRounds = Number(rounds);
      const group = await api<Group>("POST", "/v1/groups", {
        body: {
          name,
          strategy,
          ...(rounds && Number.isInteger(maxRounds) ? { settings: { turnLimits: { maxRounds } } } : {}),
          agents: drafts.map((d) => ({
            name: d.name,
            description: d.description,
            provider: d.provider,
            model: d.model,
            personality: d.personality,
            systemPrompt: d.systemPrompt,
            temperature: d.temperature,
            tools: d.tools
              .split(",")
              .map((t) => t.trim())
              .filter(Boolean),
            ...(d.scripted.trim() ? { scripted: JSON.parse(d.scripted) as object } : {}),
          })),
        },
      });
      navigate(`/groups/${group.id}`);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>New group</h1>
      </div>
      <form className="stack" onSubmit={(e) => void submit(e)} aria-label="New group">
        <div className="card stack">
          <label>
            Name
            <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <div className="row">
            <label className="grow">
              Who speaks
              <select value={strategy} onChange={(e) => setStrategy(e.target.value)}>
                {Object.entries(STRATEGY_LABELS).map(([id, label]) => (
                  <option key={id} value={id}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            {(strategy === "debate_vote" || strategy === "round_robin") && (
              <label>
                Rounds
                <input
                  type="number"
                  min={1}
                  max={20}
                  inputMode="numeric"
                  value={rounds}
                  placeholder="default"
                  onChange={(e) => setRounds(e.target.value)}
                />
              </label>
            )}
          </div>
        </div>

        <h2>Agents from templates</h2>
        {templates.error && <p className="error">{templates.error}</p>}
        <ul className="templates" aria-label="Templates">
          {templates.data?.items.map((t) => (
            <li key={t.id}>
              <button type="button" className="template" onClick={() => add(t)} aria-label={`Add ${t.name}`}>
                <strong>{t.name}</strong>
                <span className="muted small">{t.description}</span>
                <span className="plus" aria-hidden="true">
                  +
                </span>
              </button>
            </li>
          ))}
        </ul>

        {drafts.length > 0 && <h2>Seats</h2>}
        <ol className="stack seats">
          {drafts.map((d, i) => (
            <li key={d.key} className="card stack" aria-label={`Agent ${i + 1}: ${d.name}`}>
              <div className="row">
                <label className="grow">
                  Name
                  <input required value={d.name} onChange={(e) => change(d.key, { name: e.target.value })} />
                </label>
                <ProviderFields
                  id={`seat-${d.key}`}
                  provider={d.provider}
                  model={d.model}
                  catalog={catalog}
                  issue={providerIssues[i]}
                  onChange={(patch) => change(d.key, patch)}
                />
              </div>
              <label>
                Tools (comma-separated)
                <input value={d.tools} onChange={(e) => change(d.key, { tools: e.target.value })} />
              </label>
              {d.provider === "scripted" && (
                <label>
                  Scripted behaviour (JSON, optional)
                  <textarea
                    aria-invalid={scriptedIssues[i] ? "true" : undefined}
                    aria-describedby={scriptedIssues[i] ? `seat-${d.key}-scripted-issue` : undefined}
                    rows={2}
                    className="mono"
                    placeholder='{"replies": ["…"], "tokenDelayMs": 40}'
                    value={d.scripted}
                    onChange={(e) => change(d.key, { scripted: e.target.value })}
                  />
                </label>
              )}
              <ProviderIssueText id={`seat-${d.key}`} issue={providerIssues[i]} />
              {scriptedIssues[i] && (
                <p id={`seat-${d.key}-scripted-issue`} className="error small">
                  {scriptedIssues[i]}
                </p>
              )}
              <div>
                <button
                  type="button"
                  className="ghost small"
                  onClick={() => setDrafts((all) => all.filter((x) => x.key !== d.key))}
                >
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ol>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div>
          <button type="submit" className="primary" disabled={busy || blocking || !name.trim()}>
            {busy ? "Creating…" : "Create group"}
          </button>
        </div>
      </form>
    </section>
  );
}
