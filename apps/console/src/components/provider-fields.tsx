import type { ProviderCatalog } from "../api/types.js";
import { modelOptions, type ProviderIssue, providerOptions } from "../pages/providers.js";

/**
 * The provider menu and model field of an agent, offering what `GET /v1/providers` says; the field an
 * issue is about is marked invalid and described by the message (`ProviderIssueText`, same `id`).
 */
export function ProviderFields(props: {
  id: string;
  provider: string;
  model: string;
  catalog: ProviderCatalog | undefined;
  issue: ProviderIssue | undefined;
  onChange: (patch: { provider?: string; model?: string }) => void;
  modelClassName?: string;
}) {
  const { id, issue, catalog } = props;
  const about = (field: ProviderIssue["field"]) =>
    issue?.field === field
      ? {
          "aria-invalid": issue.blocking ? ("true" as const) : undefined,
          "aria-describedby": `${id}-issue`,
          ...(issue.blocking ? { "aria-errormessage": `${id}-issue` } : {}),
        }
      : {};
  return (
    <>
      <label>
        Provider
        <select
          value={props.provider}
          {...about("provider")}
          onChange={(e) =>
            props.onChange({
              provider: e.target.value,
              model: modelOptions(catalog, e.target.value)[0] ?? "",
            })
          }
        >
          {providerOptions(catalog, props.provider).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <label className={props.modelClassName}>
        Model
        <input
          list={`${id}-models`}
          value={props.model}
          {...about("model")}
          onChange={(e) => props.onChange({ model: e.target.value })}
        />
        <datalist id={`${id}-models`}>
          {modelOptions(catalog, props.provider).map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </label>
    </>
  );
}

/** The issue's message, which the field it is about points at. */
export function ProviderIssueText({ id, issue }: { id: string; issue: ProviderIssue | undefined }) {
  return issue ? (
    <p id={`${id}-issue`} className={issue.blocking ? "error small" : "warn small"}>
      {issue.message}
    </p>
  ) : null;
}
