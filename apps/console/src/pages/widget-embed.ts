/** How the widget looks (the script's `data-*` attributes); unset fields take the script's defaults. */
export interface WidgetTheme {
  title?: string;
  greeting?: string;
  primary?: string;
  position?: "bottom-right" | "bottom-left";
}

export type Field = "name" | "origins" | "title" | "greeting" | "primary" | "position";
const FIELDS: Field[] = ["name", "origins", "title", "greeting", "primary", "position"];

/** The form field a problem's `errors[].path` names (`origins.0`, `theme.title`, …). */
export function fieldOf(path: string): Field | undefined {
  const last = path
    .split(".")
    .filter((p) => !/^\d+$/.test(p))
    .at(-1);
  return FIELDS.find((f) => f === last);
}

const ORIGIN = /^https?:\/\/(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(\d{1,5}))?$/i;

/** The allowed origins typed one per line: each must be http(s)://host[:port], with no path. */
export function parseOrigins(text: string): { origins: string[]; errors: string[] } {
  const origins: string[] = [];
  const errors: string[] = [];
  const lines = text.split("\n").map((l) => l.trim());
  lines.forEach((line, i) => {
    if (line === "") return;
    const bare = line.replace(/\/$/, "");
    const port = ORIGIN.exec(bare)?.[1];
    if (!ORIGIN.test(bare) || (port !== undefined && Number(port) > 65535))
      errors.push(
        `line ${i + 1}: "${line}" is not an origin such as https://shop.example or http://localhost:8080`,
      );
    else if (!origins.includes(bare.toLowerCase())) origins.push(bare.toLowerCase());
  });
  if (origins.length === 0 && errors.length === 0) errors.push("at least one origin is needed");
  if (origins.length > 20) errors.push("at most 20 origins");
  return { origins, errors };
}

/** The theme with blank fields left out, as the API and the script take it. */
export function cleanTheme(theme: WidgetTheme): WidgetTheme {
  const out: WidgetTheme = {};
  if (theme.title?.trim()) out.title = theme.title.trim();
  if (theme.greeting?.trim()) out.greeting = theme.greeting.trim();
  if (theme.primary) out.primary = theme.primary.toLowerCase();
  if (theme.position) out.position = theme.position;
  return out;
}

const escapeAttr = (v: string) =>
  v.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * The page a visitor would see, for a srcdoc frame: a blank page holding the real script tag. The
 * frame shares the console's origin (no sandbox), so the script loads under the console's CSP.
 */
export function previewDocument(input: {
  scriptUrl: string;
  groupId: string;
  key: string;
  streamUrl?: string | undefined;
  theme: WidgetTheme;
}) {
  const theme = cleanTheme(input.theme);
  const attrs: [string, string | undefined][] = [
    ["src", input.scriptUrl],
    ["data-group", input.groupId],
    ["data-key", input.key],
    ["data-stream", input.streamUrl],
    ["data-title", theme.title],
    ["data-greeting", theme.greeting],
    ["data-primary", theme.primary],
    ["data-position", theme.position],
  ];
  const tag = attrs.flatMap(([k, v]) => (v === undefined ? [] : [`${k}="${escapeAttr(v)}"`])).join(" ");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget preview</title></head><body><script ${tag}></script></body></html>`;
}
