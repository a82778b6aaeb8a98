import type { WidgetSettings } from "./theme.js";

/** The widget's whole stylesheet, inside its shadow root: nothing of the page's CSS applies. */
export function stylesOf(s: WidgetSettings): string {
  const side = s.position === "bottom-left" ? "left" : "right";
  return `
:host { all: initial; }
* { box-sizing: border-box; }
.root {
  --primary: ${s.primary}; --on-primary: ${s.onPrimary};
  --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --soft: #f3f4f6;
  position: fixed; bottom: 20px; ${side}: 20px; z-index: 2147483000;
  font: 15px/1.45 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); -webkit-font-smoothing: antialiased;
  display: flex; flex-direction: column; align-items: flex-${side === "left" ? "start" : "end"}; gap: 14px;
}
.launcher {
  width: 58px; height: 58px; border-radius: 50%; border: 0; cursor: pointer;
  background: var(--primary); color: var(--on-primary);
  box-shadow: 0 10px 25px -5px rgba(17,24,39,.35), 0 4px 8px -4px rgba(17,24,39,.25);
  display: grid; place-items: center; transition: transform .15s ease;
}
.launcher:hover { transform: scale(1.05); }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible {
  outline: 3px solid color-mix(in srgb, var(--primary) 45%, white); outline-offset: 2px;
}
.launcher svg { width: 26px; height: 26px; }
.panel {
  width: 380px; height: min(620px, calc(100vh - 110px)); background: #fff; border-radius: 18px;
  box-shadow: 0 24px 48px -12px rgba(17,24,39,.28), 0 0 0 1px rgba(17,24,39,.06);
  display: flex; flex-direction: column; overflow: hidden;
}
.panel[hidden] { display: none; }
header {
  background: var(--primary); color: var(--on-primary); padding: 18px 18px 16px;
  display: flex; align-items: center; gap: 12px;
}
.avatar {
  width: 38px; height: 38px; border-radius: 50%; flex: none; display: grid; place-items: center;
  background: color-mix(in srgb, var(--on-primary) 18%, transparent); font-weight: 600;
}
.heading { flex: 1; min-width: 0; }
h2 { margin: 0; font-size: 16px; font-weight: 650; letter-spacing: -.01em; }
.status { margin: 2px 0 0; font-size: 12.5px; opacity: .85; display: flex; align-items: center; gap: 6px; }
.status::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: #34d399; }
.status.offline::before { background: #fbbf24; }
.close {
  border: 0; background: transparent; color: inherit; cursor: pointer; width: 34px; height: 34px;
  border-radius: 10px; display: grid; place-items: center; opacity: .9;
}
.close:hover { background: color-mix(in srgb, var(--on-primary) 15%, transparent); }
.log {
  list-style: none; margin: 0; padding: 18px 16px; flex: 1; overflow-y: auto;
  display: flex; flex-direction: column; gap: 10px; background: #fafafa;
}
.msg { display: flex; flex-direction: column; max-width: 82%; }
.msg .who { font-size: 12px; color: var(--muted); margin: 0 0 3px 4px; font-weight: 500; }
.bubble {
  padding: 10px 14px; border-radius: 16px; white-space: pre-wrap; overflow-wrap: anywhere;
  background: #fff; border: 1px solid var(--line); border-bottom-left-radius: 6px;
}
.visitor { align-self: flex-end; align-items: flex-end; }
.visitor .bubble {
  background: var(--primary); color: var(--on-primary); border-color: transparent;
  border-bottom-left-radius: 16px; border-bottom-right-radius: 6px;
}
.pending .bubble { opacity: .6; }
.streaming .bubble::after { content: "▍"; color: var(--primary); margin-left: 1px; animation: blink 1s infinite; }
.notice { align-self: center; max-width: 92%; font-size: 13px; color: #92400e; background: #fffbeb;
  border: 1px solid #fde68a; padding: 6px 12px; border-radius: 999px; text-align: center; }
.typing .bubble { display: inline-flex; gap: 4px; padding: 13px 14px; }
.typing i { width: 7px; height: 7px; border-radius: 50%; background: #9ca3af; animation: blink 1.2s infinite; }
.typing i:nth-child(2) { animation-delay: .2s; } .typing i:nth-child(3) { animation-delay: .4s; }
@keyframes blink { 0%, 80%, 100% { opacity: .3; transform: translateY(0); } 40% { opacity: 1; transform: translateY(-2px); } }
form { display: flex; align-items: flex-end; gap: 8px; padding: 12px; border-top: 1px solid var(--line); background: #fff; }
textarea {
  flex: 1; resize: none; border: 1px solid var(--line); border-radius: 12px; padding: 10px 12px;
  font: inherit; color: inherit; max-height: 120px; min-height: 42px; background: #fff;
}
textarea::placeholder { color: #9ca3af; }
.send {
  width: 42px; height: 42px; flex: none; border: 0; border-radius: 12px; cursor: pointer;
  background: var(--primary); color: var(--on-primary); display: grid; place-items: center;
}
.send:disabled { opacity: .45; cursor: default; }
.send svg { width: 18px; height: 18px; }
.brand { text-align: center; font-size: 11.5px; color: #9ca3af; padding: 0 0 10px; background: #fff; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 480px) {
  .root { bottom: 14px; ${side}: 14px; }
  .root.open { inset: 0; gap: 0; }
  .root.open .panel { width: 100vw; height: 100dvh; border-radius: 0; }
  .root.open .launcher { display: none; }
}
@media (prefers-reduced-motion: reduce) { .typing i { animation: none; } .launcher { transition: none; } }
`;
}
