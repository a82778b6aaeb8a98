import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError, api } from "../api/client.js";
import { streamSettings } from "../api/stream.js";
import type { CreatedWidgetKey, Group, WidgetEmbed, WidgetKey } from "../api/types.js";
import { errorText, useApi } from "../components/use-api.js";
import { GroupTabs } from "./group-tabs.js";
import { type Field, fieldOf, parseOrigins, previewDocument, type WidgetTheme } from "./widget-embed.js";

const DEFAULT_PRIMARY = "#4f46e5";

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "never");

export function WidgetPage({ groupId }: { groupId: string }) {
  const group = useApi<Group>(`/v1/groups/${groupId}`);
  const owner = group.data?.role === "owner";
  return (
    <section className="page">
      <GroupTabs group={group.data} current="widget" />
      {group.error && <p className="error">{group.error}</p>}
      {group.data && !owner && (
        <div className="card empty" role="status">
          <h2>Only owners manage the widget</h2>
          <p className="muted">
            The chat widget's keys let any page on their origins talk to this group, so only the group's
            owners see and make them. Ask an owner if you need one.
          </p>
        </div>
      )}
      {owner && <WidgetKeys groupId={groupId} />}
    </section>
  );
}

function WidgetKeys({ groupId }: { groupId: string }) {
  const keys = useApi<{ items: WidgetKey[] }>(`/v1/groups/${groupId}/widget-keys`);
  const [name, setName] = useState("");
  const [originsText, setOriginsText] = useState("");
  const [theme, setTheme] = useState<Required<WidgetTheme>>({
    title: "",
    greeting: "",
    primary: DEFAULT_PRIMARY,
    position: "bottom-right",
  });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string[]>>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedWidgetKey>();
  const [listError, setListError] = useState<string>();
  const set = (k: keyof WidgetTheme) => (v: string) => setTheme((t) => ({ ...t, [k]: v }));

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(undefined);
    const parsed = parseOrigins(originsText);
    const local: Partial<Record<Field, string[]>> = {};
    if (!name.trim()) local.name = ["a name is needed"];
    if (parsed.errors.length) local.origins = parsed.errors;
    setFieldErrors(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const themeBody: WidgetTheme = { primary: theme.primary, position: theme.position };
      if (theme.title.trim()) themeBody.title = theme.title.trim();
      if (theme.greeting.trim()) themeBody.greeting = theme.greeting.trim();
      const key = await api<CreatedWidgetKey>("POST", `/v1/groups/${groupId}/widget-keys`, {
        body: { name: name.trim(), origins: parsed.origins, theme: themeBody },
      });
      setCreated(key);
      setName("");
      keys.reload();
    } catch (err) {
      const server: Partial<Record<Field, string[]>> = {};
      const rest: string[] = [];
      for (const f of err instanceof ApiError ? (err.problem.errors ?? []) : []) {
        const field = fieldOf(f.path);
        if (field) server[field] = [...(server[field] ?? []), f.message];
        else rest.push(`${f.path}: ${f.message}`);
      }
      setFieldErrors(server);
      setFormError(
        Object.keys(server).length
          ? [err instanceof Error ? err.message : "", ...rest].join(" · ")
          : errorText(err),
      );
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (k: WidgetKey) => {
    setListError(undefined);
    try {
      await api("DELETE", `/v1/groups/${groupId}/widget-keys/${k.id}`);
      if (created?.id === k.id) setCreated(undefined);
      keys.reload();
    } catch (err) {
      setListError(errorText(err));
    }
  };

  const errorsOf = (f: Field) =>
    fieldErrors[f]?.length ? (
      <span className="error small" id={`widget-${f}-error`}>
        {fieldErrors[f]?.join(" · ")}
      </span>
    ) : null;
  const described = (f: Field) =>
    fieldErrors[f]?.length ? { "aria-invalid": true, "aria-describedby": `widget-${f}-error` } : {};

  return (
    <div className="widget-grid">
      <div className="stack">
        <div className="card stack">
          <h2>Widget keys</h2>
          <p className="muted small">
            Each key lets pages on its origins post to this group and read its replies, and nothing else.
          </p>
          {keys.error && <p className="error">{keys.error}</p>}
          {keys.data && keys.data.items.length === 0 && (
            <p className="muted" data-testid="no-widget-keys">
              No widget keys yet.
            </p>
          )}
          <ul className="plain widget-keys">
            {keys.data?.items.map((k) => (
              <KeyRow key={k.id} groupId={groupId} widgetKey={k} onRevoke={() => revoke(k)} />
            ))}
          </ul>
          {listError && (
            <p className="error" role="alert">
              {listError}
            </p>
          )}
        </div>
        {created && (
          <section className="card stack created" aria-labelledby="created-heading">
            <h2 id="created-heading">Embed code for “{created.name}”</h2>
            <p className="warn small">
              <strong>Shown once:</strong> this code holds the key's secret, which is stored hashed and cannot
              be shown again. Copy it now; if it is lost, make a new key and revoke this one.
            </p>
            <CodeBox label="Embed code with the key" code={created.embed.html} />
            <p className="muted small">Paste it into your page, before &lt;/body&gt;.</p>
          </section>
        )}
        <form className="card stack" onSubmit={create} aria-label="New widget" noValidate>
          <h2>New widget</h2>
          <label>
            Name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={100}
              {...described("name")}
            />
            {errorsOf("name")}
          </label>
          <label>
            Allowed origins (one per line)
            <textarea
              rows={3}
              value={originsText}
              placeholder={"https://shop.example\nhttp://localhost:8080"}
              onChange={(e) => setOriginsText(e.target.value)}
              {...described("origins")}
            />
            {errorsOf("origins")}
            <span className="muted small">
              Scheme, host and port only, exactly as the page's address bar shows.
            </span>
          </label>
          <fieldset className="stack">
            <legend>Look</legend>
            <label>
              Title
              <input
                value={theme.title}
                placeholder="Chat with us"
                maxLength={60}
                onChange={(e) => set("title")(e.target.value)}
                {...described("title")}
              />
              {errorsOf("title")}
            </label>
            <label>
              Greeting
              <input
                value={theme.greeting}
                placeholder="Hi! How can we help?"
                maxLength={280}
                onChange={(e) => set("greeting")(e.target.value)}
                {...described("greeting")}
              />
              {errorsOf("greeting")}
            </label>
            <div className="row">
              <label>
                Colour
                <span className="colour">
                  <input
                    type="color"
                    value={theme.primary}
                    onChange={(e) => set("primary")(e.target.value)}
                    {...described("primary")}
                  />
                  <span className="mono">{theme.primary}</span>
                </span>
                {errorsOf("primary")}
              </label>
              <label className="grow">
                Position
                <select value={theme.position} onChange={(e) => set("position")(e.target.value)}>
                  <option value="bottom-right">Bottom right</option>
                  <option value="bottom-left">Bottom left</option>
                </select>
              </label>
            </div>
          </fieldset>
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Creating…" : "Create widget key"}
            </button>
          </div>
          {formError && (
            <p className="error" role="alert">
              {formError}
            </p>
          )}
        </form>
      </div>
      <Preview groupId={groupId} theme={theme} created={created} />
    </div>
  );
}

function KeyRow({
  groupId,
  widgetKey: k,
  onRevoke,
}: {
  groupId: string;
  widgetKey: WidgetKey;
  onRevoke(): void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [embed, setEmbed] = useState<WidgetEmbed>();
  const [error, setError] = useState<string>();
  const showEmbed = async () => {
    if (embed) return setEmbed(undefined);
    try {
      setEmbed(await api<WidgetEmbed>("GET", `/v1/groups/${groupId}/widget-keys/${k.id}/embed`));
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <li className="widget-key" data-key-id={k.id}>
      <div className="widget-key-head">
        <span
          className="swatch"
          aria-hidden="true"
          style={{ background: k.theme.primary ?? DEFAULT_PRIMARY }}
        />
        <div className="grow">
          <strong>{k.name}</strong> <span className="muted mono small">{k.prefix}…</span>
          <div className="muted small">
            {k.origins.join(", ")} · created {when(k.createdAt)} · last used {when(k.lastUsedAt)}
          </div>
        </div>
        <div className="row">
          <button
            type="button"
            className="ghost small"
            aria-expanded={!!embed}
            onClick={() => void showEmbed()}
          >
            Embed code
          </button>
          {!confirming && (
            <button type="button" className="ghost small danger" onClick={() => setConfirming(true)}>
              Revoke
            </button>
          )}
        </div>
      </div>
      {confirming && (
        <fieldset className="confirm row" aria-label={`Revoke ${k.name}`}>
          <span className="grow small">Revoke “{k.name}”? Pages using it stop working at once.</span>
          <button type="button" className="small danger" onClick={onRevoke}>
            Yes, revoke
          </button>
          <button type="button" className="ghost small" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </fieldset>
      )}
      {embed && (
        <div className="stack">
          <CodeBox label={`Embed code of ${k.name}`} code={embed.html} />
          {embed.keyPlaceholder && (
            <p className="muted small">
              Replace <code className="mono">{embed.keyPlaceholder}</code> with the key's secret (shown only
              when it was made).
            </p>
          )}
        </div>
      )}
      {error && <p className="error small">{error}</p>}
    </li>
  );
}

/** Read-only code with a Copy button; without clipboard access the code is selected for copying by hand. */
function CodeBox({ label, code }: { label: string; code: string }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [said, setSaid] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setSaid("Copied to the clipboard.");
    } catch {
      ref.current?.focus();
      ref.current?.select();
      setSaid("Selected: press Ctrl+C (⌘C) to copy.");
    }
  };
  return (
    <div className="codebox">
      <textarea ref={ref} className="mono" readOnly aria-label={label} value={code} rows={4} />
      <div className="row">
        <button type="button" className="small" onClick={() => void copy()}>
          Copy
        </button>
        <span className="muted small" aria-live="polite">
          {said}
        </span>
      </div>
    </div>
  );
}

/** The widget as a visitor sees it, in a frame of the console's own origin. */
function Preview({
  groupId,
  theme,
  created,
}: {
  groupId: string;
  theme: WidgetTheme;
  created: CreatedWidgetKey | undefined;
}) {
  const [stream, setStream] = useState<string>();
  useEffect(() => {
    streamSettings().then(
      (s) => setStream(new URL(s.streamUrl.replace(/^ws/, "http")).origin),
      () => setStream(undefined),
    );
  }, []);
  const here = window.location.origin;
  const live = !!created && created.origins.includes(here);
  const embedStream = /data-stream="([^"]+)"/.exec(created?.embed.html ?? "")?.[1];
  const doc = previewDocument({
    scriptUrl: `${here}/widget.js`,
    groupId,
    key: live && created ? created.key : "preview",
    streamUrl: embedStream ?? stream,
    theme,
  });
  const frame = useRef<HTMLIFrameElement>(null);
  // Opens the panel once the script has mounted, so the greeting and colours show without a click.
  const opened = () => {
    const d = frame.current?.contentDocument;
    let tries = 0;
    const timer = setInterval(() => {
      const launcher = d
        ?.querySelector("[data-conclave-widget]")
        ?.shadowRoot?.querySelector<HTMLElement>(".launcher");
      if (launcher || ++tries > 40) clearInterval(timer);
      if (launcher?.getAttribute("aria-expanded") !== "false") return;
      // Opening focuses the widget's input: give focus back to the field being edited.
      const editing = document.activeElement;
      launcher.click();
      if (editing instanceof HTMLElement && editing !== frame.current) editing.focus();
    }, 50);
  };
  return (
    <div className="card stack preview-card">
      <h2>Preview</h2>
      <p className={live ? "ok small" : "muted small"} role="status">
        {live
          ? "Live: this console's origin is one of the key's origins, so messages sent here reach the group."
          : `How the widget looks. Messages work only from a key's allowed origins${created ? "" : " (create a key that lists "}${created ? "" : here}${created ? "" : " to try it live here)"}.`}
      </p>
      <iframe
        ref={frame}
        key={doc}
        title="Widget preview"
        className="preview"
        srcDoc={doc}
        onLoad={opened}
        data-live={live ? "true" : "false"}
      />
    </div>
  );
}
