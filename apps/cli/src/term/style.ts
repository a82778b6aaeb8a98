/** ANSI styles, or plain text when colour is off (not a TTY, or NO_COLOR). */
export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function createStyle(enabled: boolean): Style {
  const plain = (s: string) => s;
  const pick = (open: number, close: number) => (enabled ? wrap(open, close) : plain);
  return {
    enabled,
    bold: pick(1, 22),
    dim: pick(2, 22),
    red: pick(31, 39),
    green: pick(32, 39),
    yellow: pick(33, 39),
    blue: pick(34, 39),
    magenta: pick(35, 39),
    cyan: pick(36, 39),
  };
}

/** Colour on a terminal only, and never when NO_COLOR is set (https://no-color.org). */
export function colourFor(stream: { isTTY?: boolean }, noColor: string | undefined): boolean {
  return stream.isTTY === true && (noColor === undefined || noColor === "");
}

/** Text without ANSI escapes (for measuring and for tests). */
export function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape is what is stripped
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}
