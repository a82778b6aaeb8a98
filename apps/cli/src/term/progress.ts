/** A progress bar on a terminal (stderr): nothing at all when it is not one. */
export interface Progress {
  /** `n` more items done, of `total` known so far. */
  advance(n: number, total: number): void;
  done(): void;
}

const WIDTH = 30;
const EVERY_MS = 100;

export function createProgress(
  out: { isTTY?: boolean; write(s: string): boolean },
  label: string,
  options: { minTotal?: number; now?: () => number } = {},
): Progress {
  const now = options.now ?? Date.now;
  let shown = false;
  let count = 0;
  let last = 0;
  const draw = (total: number) => {
    const share = total > 0 ? Math.min(1, count / total) : 0;
    const filled = Math.round(share * WIDTH);
    out.write(
      `\r${label} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${count.toLocaleString("en")}/${total.toLocaleString("en")}`,
    );
    shown = true;
  };
  return {
    advance(n, total) {
      count += n;
      if (out.isTTY !== true || total < (options.minTotal ?? 0)) return;
      if (now() - last < EVERY_MS && count < total) return;
      last = now();
      draw(total);
    },
    done() {
      if (shown) out.write("\r\u001b[2K");
      shown = false;
    },
  };
}
