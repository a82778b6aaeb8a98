import type { WidgetTheme } from "@conclave/db";

/** The author name of every message posted with a widget key. */
export const WIDGET_AUTHOR_NAME = "Visitor";

/** What stands for the secret in an embed code asked for after the key's creation. */
export const KEY_PLACEHOLDER = "PASTE-THE-WIDGET-KEY-HERE";

const escapeAttr = (v: string) =>
  v.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The script tag a page embeds: the widget's URL, its group and key, its theme (attributes escaped). */
export function embedCode(input: {
  baseUrl: string;
  streamUrl?: string | undefined;
  groupId: string;
  key: string;
  theme: WidgetTheme;
}): string {
  const attrs: [string, string | undefined][] = [
    ["src", `${input.baseUrl.replace(/\/+$/, "")}/widget.js`],
    ["data-group", input.groupId],
    ["data-key", input.key],
    ["data-stream", input.streamUrl?.replace(/\/+$/, "")],
    ["data-title", input.theme.title],
    ["data-greeting", input.theme.greeting],
    ["data-primary", input.theme.primary],
    ["data-position", input.theme.position],
  ];
  const parts = attrs.flatMap(([k, v]) => (v === undefined ? [] : [`${k}="${escapeAttr(v)}"`]));
  return `<script ${parts.join(" ")} async></script>`;
}
