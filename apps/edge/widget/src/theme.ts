/** What a page set on the script tag, with the defaults filled in. */
export interface WidgetSettings {
  group: string;
  key: string;
  /** The API's origin (where the script came from, unless `data-api`). */
  api: string;
  /** The event stream's base URL (`data-stream`, else the API's). */
  stream: string;
  title: string;
  greeting: string;
  primary: string;
  /** A text colour readable on `primary`. */
  onPrimary: string;
  position: "bottom-right" | "bottom-left";
}

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
export const DEFAULT_PRIMARY = "#4f46e5";

/** Black or white text on `hex`, whichever contrasts more (WCAG relative luminance). */
export function textOn(hex: string): string {
  const full =
    hex.length === 4
      ? hex
          .slice(1)
          .split("")
          .map((c) => c + c)
          .join("")
      : hex.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = Number.parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white is 1.05 / (L + 0.05); with near-black (#111827, L ≈ 0.012) (L + 0.05) / 0.062.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.062 ? "#ffffff" : "#111827";
}

/** Reads the script tag's `data-*` attributes; undefined when the group or key is missing. */
export function readSettings(
  data: Record<string, string | undefined>,
  scriptSrc: string,
): WidgetSettings | undefined {
  const group = data.group?.trim();
  const key = data.key?.trim();
  if (!group || !key) return undefined;
  const api = (data.api ?? new URL(scriptSrc).origin).replace(/\/+$/, "");
  const primary = data.primary && HEX.test(data.primary) ? data.primary.toLowerCase() : DEFAULT_PRIMARY;
  return {
    group,
    key,
    api,
    stream: (data.stream ?? api).replace(/\/+$/, ""),
    title: data.title?.trim() || "Chat with us",
    greeting: data.greeting?.trim() || "Hi! How can we help?",
    primary,
    onPrimary: textOn(primary),
    position: data.position === "bottom-left" ? "bottom-left" : "bottom-right",
  };
}
