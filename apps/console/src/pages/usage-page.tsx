import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import { BarChart } from "../components/bar-chart.js";
import { FormError } from "../components/form-feedback.js";
import { errorText, useApi } from "../components/use-api.js";

interface Totals {
  calls: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  unpriced: number;
}
interface Usage {
  rows: (Totals & { key: string; label: string | null })[];
  total: Totals;
}
interface Budget {
  id: string;
  scope: "account" | "group";
  scopeId: string;
  unit: "tokens" | "money";
  period: "day" | "month";
  cap: number;
  warnAt: number;
  current: { spent: number; reserved: number; remaining: number; warned: boolean };
}

type By = "day" | "agent" | "model";

export function UsagePage() {
  const [by, setBy] = useState<By>("day");
  const usage = useApi<Usage>(`/v1/usage?groupBy=${by}`);
  const budgets = useApi<{ items: Budget[] }>("/v1/budgets");
  const rows = (usage.data?.rows ?? []).map((r) => ({
    label: by === "day" ? r.key.slice(5, 10) : (r.label ?? r.key),
    tokens: r.inputTokens + r.outputTokens,
    cost: r.cost,
  }));
  const t = usage.data?.total;
  return (
    <section className="page">
      <div className="page-head">
        <h1>Usage and cost</h1>
        <fieldset className="segmented">
          <legend className="sr-only">Group by</legend>
          {(["day", "agent", "model"] as const).map((b) => (
            <button key={b} type="button" aria-pressed={by === b} onClick={() => setBy(b)}>
              By {b}
            </button>
          ))}
        </fieldset>
      </div>
      {usage.error && <p className="error">{usage.error}</p>}
      {t && (
        <p className="stats">
          <span>
            <strong>{t.calls}</strong> calls
          </span>
          <span>
            <strong>{(t.inputTokens + t.outputTokens).toLocaleString()}</strong> tokens
          </span>
          <span>
            <strong>{t.cost.toFixed(4)}</strong> cost
          </span>
          {t.unpriced > 0 && <span className="muted">{t.unpriced} calls unpriced</span>}
        </p>
      )}
      <div className="two">
        <div className="card">
          <BarChart
            title={`Tokens by ${by} (this month)`}
            rows={rows.map((r) => ({ label: r.label, value: r.tokens }))}
          />
        </div>
        <div className="card">
          <BarChart
            title={`Cost by ${by} (this month)`}
            rows={rows.map((r) => ({ label: r.label, value: r.cost }))}
            format={(v) => v.toFixed(3)}
          />
        </div>
      </div>
      <h2>Budgets</h2>
      {budgets.error && <p className="error">{budgets.error}</p>}
      <div className="two">
        <div className="card">
          {budgets.data?.items.length === 0 && <p className="muted">No budgets: spending is unlimited.</p>}
          <ul className="plain">
            {budgets.data?.items.map((b) => {
              const used = b.cap > 0 ? Math.min(1, b.current.spent / b.cap) : 1;
              return (
                <li key={b.id} className="budget">
                  <div className="row">
                    <strong className="grow">
                      {b.scope === "account" ? "Account" : "Group"} · {b.unit} per {b.period}
                    </strong>
                    <span className="small">
                      {b.current.spent.toLocaleString()} / {b.cap.toLocaleString()}
                    </span>
                  </div>
                  <progress
                    max={1}
                    value={used}
                    aria-label="Spent of the cap"
                    className={b.current.warned ? "warned" : ""}
                  />
                </li>
              );
            })}
          </ul>
        </div>
        <BudgetForm onSaved={budgets.reload} />
      </div>
    </section>
  );
}

function BudgetForm({ onSaved }: { onSaved(): void }) {
  const [unit, setUnit] = useState<"tokens" | "money">("tokens");
  const [period, setPeriod] = useState<"day" | "month">("month");
  const [cap, setCap] = useState("100000");
  const [error, setError] = useState<string>();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api("PUT", "/v1/budgets", { body: { scope: "account", unit, period, cap: Number(cap) } });
      onSaved();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="card stack" onSubmit={(e) => void save(e)} aria-label="Set an account budget">
      <h3>Set an account budget</h3>
      <div className="row">
        <label>
          Unit
          <select value={unit} onChange={(e) => setUnit(e.target.value as "tokens" | "money")}>
            <option value="tokens">tokens</option>
            <option value="money">money</option>
          </select>
        </label>
        <label>
          Per
          <select value={period} onChange={(e) => setPeriod(e.target.value as "day" | "month")}>
            <option value="day">day</option>
            <option value="month">month</option>
          </select>
        </label>
        <label className="grow">
          Cap
          <input
            type="number"
            min={0}
            step="any"
            required
            value={cap}
            onChange={(e) => setCap(e.target.value)}
          />
        </label>
      </div>
      <div>
        <button type="submit" className="primary small">
          Save budget
        </button>
      </div>
      <FormError error={error} />
    </form>
  );
}
