/** Escapes `s` for use inside a `u`-flag regular expression (where escaping a non-syntax character is an error). */
export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** A regular expression source matching `name` case-insensitively with any run of whitespace between its words. */
export function namePattern(name: string): string {
  return name.trim().split(/\s+/).map(escapeRegExp).join("\\s+");
}

/** `s` cut to `max` characters with an ellipsis, on one line, for reasons that end up in events. */
export function clip(s: string, max = 120): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
