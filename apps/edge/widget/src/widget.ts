import { createConversation, type DeltaFrame, type Saved, type StreamEvent } from "./conversation.js";
import { createSseParser } from "./sse-parser.js";
import { stylesOf } from "./styles.js";
import { readSettings, type WidgetSettings } from "./theme.js";

// The embeddable chat widget: `<script src=".../widget.js" data-group data-key ...>`. It posts with
// the group's widget key and follows the group's events with fetch streaming, so the key travels in
// a header and never in a URL.

const ICON_CHAT =
  '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>';
const ICON_CLOSE =
  '<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
const ICON_SEND =
  '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M3.4 20.4l17.4-7.5a1 1 0 0 0 0-1.8L3.4 3.6a1 1 0 0 0-1.4 1.1L4 11l9 1-9 1-2 6.3a1 1 0 0 0 1.4 1.1z"/></svg>';

const RETRY_MS = [1000, 2000, 4000, 8000, 15000];

interface Pending {
  text: string;
  turnId?: string;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function load(storageKey: string): Saved | undefined {
  try {
    const raw = sessionStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Saved) : undefined;
  } catch {
    return undefined;
  }
}

function store(storageKey: string, saved: Saved | undefined): void {
  try {
    if (saved) sessionStorage.setItem(storageKey, JSON.stringify(saved));
  } catch {
    // Storage may be off (private mode, sandboxed frames): the conversation just does not survive a reload.
  }
}

function mount(s: WidgetSettings): void {
  const storageKey = `conclave-widget:${s.group}`;
  const conv = createConversation(load(storageKey));
  const pending: Pending[] = [];
  let failedNotice: string | undefined;

  const host = el("div", { "data-conclave-widget": "" });
  const shadow = host.attachShadow({ mode: "open" });
  const style = el("style");
  style.textContent = stylesOf(s);
  const root = el("div", { class: "root" });
  const panel = el("section", { class: "panel", id: "panel", role: "dialog", "aria-label": s.title });
  panel.hidden = true;
  const header = el("header");
  const avatar = el("div", { class: "avatar", "aria-hidden": "true" }, s.title.slice(0, 1).toUpperCase());
  const heading = el("div", { class: "heading" });
  heading.append(el("h2", {}, s.title), el("p", { class: "status" }, "Online: we reply in seconds"));
  const close = el("button", { class: "close", type: "button", "aria-label": "Close chat" });
  close.innerHTML = ICON_CLOSE;
  header.append(avatar, heading, close);
  const log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const form = el("form");
  const label = el("label", { class: "sr-only", for: "message" }, "Your message");
  const input = el("textarea", {
    id: "message",
    rows: "1",
    placeholder: "Write a message…",
    maxlength: "4000",
  });
  const send = el("button", { class: "send", type: "submit", "aria-label": "Send message" });
  send.innerHTML = ICON_SEND;
  send.disabled = true;
  form.append(label, input, send);
  panel.append(header, log, form, el("div", { class: "brand" }, "Powered by Conclave"));
  const launcher = el("button", {
    class: "launcher",
    type: "button",
    "aria-label": `Open chat: ${s.title}`,
    "aria-expanded": "false",
    "aria-controls": "panel",
  });
  launcher.innerHTML = ICON_CHAT;
  root.append(panel, launcher);
  shadow.append(style, root);
  document.body.append(host);

  const status = heading.querySelector(".status") as HTMLElement;
  const render = () => {
    const bubble = (who: string, name: string, text: string, extra = "") => {
      const li = el("li", { class: `msg ${who}${extra}` });
      if (name) li.append(el("span", { class: "who" }, name));
      li.append(el("div", { class: "bubble" }, text));
      return li;
    };
    const items: HTMLElement[] = [bubble("agent", s.title, s.greeting, " greeting")];
    const lines = conv.lines();
    for (const l of lines) {
      if (l.who === "notice") items.push(el("li", { class: "notice" }, l.text));
      else
        items.push(bubble(l.who, l.who === "visitor" ? "" : l.name, l.text, l.streaming ? " streaming" : ""));
    }
    const writing = lines.some((l) => l.streaming);
    const shown = new Set(lines.filter((l) => l.who === "visitor").map((l) => l.turnId));
    for (let i = pending.length - 1; i >= 0; i--)
      if (shown.has(pending[i]?.turnId ?? "")) pending.splice(i, 1);
    for (const p of pending) items.push(bubble("visitor", "", p.text, " pending"));
    if (!writing && (conv.waiting() || pending.length > 0)) {
      const typing = bubble("agent", "", "", " typing");
      typing.setAttribute("aria-label", "Typing");
      const dots = typing.querySelector(".bubble") as HTMLElement;
      dots.append(el("i"), el("i"), el("i"));
      items.push(typing);
    }
    if (failedNotice) items.push(el("li", { class: "notice", role: "alert" }, failedNotice));
    log.replaceChildren(...items);
    log.scrollTop = log.scrollHeight;
  };

  let streaming = false;
  const follow = async () => {
    if (streaming) return;
    streaming = true;
    for (let attempt = 0; ; attempt++) {
      const after = conv.resumeAfter();
      const url = `${s.stream}/v1/groups/${s.group}/events?deltas=1${after === undefined ? "" : `&afterSeq=${after}`}`;
      try {
        const res = await fetch(url, {
          headers: { authorization: `Bearer ${s.key}`, accept: "text/event-stream" },
          cache: "no-store",
        });
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          status.textContent = "Chat unavailable";
          status.classList.add("offline");
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        status.textContent = "Online: we reply in seconds";
        status.classList.remove("offline");
        attempt = 0;
        const parser = createSseParser((e) => {
          if (e.event === "reconnect" || e.event === "error") return;
          if (e.event === "delta") {
            if (conv.delta(JSON.parse(e.data) as DeltaFrame)) render();
            return;
          }
          if (conv.add(JSON.parse(e.data) as StreamEvent)) render();
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } catch {
        status.textContent = "Reconnecting…";
        status.classList.add("offline");
      }
      // Dropped or ended (a fanout restarting says "reconnect"): resume after the last seq seen.
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
    }
  };

  const post = async (text: string) => {
    const item: Pending = { text };
    pending.push(item);
    failedNotice = undefined;
    render();
    try {
      const res = await fetch(`${s.api}/v1/groups/${s.group}/messages`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${s.key}`,
          "content-type": "application/json",
          "idempotency-key": `w-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
        },
        body: JSON.stringify({ content: text }),
      });
      if (res.status !== 202) throw new Error(`post answered ${res.status}`);
      const posted = (await res.json()) as { turnId: string; seq: number };
      item.turnId = posted.turnId;
      conv.posted(posted.turnId, posted.seq);
      store(storageKey, conv.saved());
    } catch {
      pending.splice(pending.indexOf(item), 1);
      failedNotice = "Your message could not be sent. Please try again.";
      if (!input.value) input.value = text;
      send.disabled = input.value.trim() === "";
    }
    render();
    void follow();
  };

  const setOpen = (open: boolean) => {
    panel.hidden = !open;
    root.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? "Close chat" : `Open chat: ${s.title}`);
    launcher.innerHTML = open ? ICON_CLOSE : ICON_CHAT;
    if (open) {
      render();
      void follow();
      input.focus();
    } else launcher.focus();
  };
  launcher.addEventListener("click", () => setOpen(!root.classList.contains("open")));
  close.addEventListener("click", () => setOpen(false));
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") setOpen(false);
  });
  input.addEventListener("input", () => {
    send.disabled = input.value.trim() === "";
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "auto";
    send.disabled = true;
    void post(text);
  });
  // A conversation of this tab's session comes back after a reload.
  if (conv.saved()) void follow();
}

function start(): void {
  const script =
    (document.currentScript as HTMLScriptElement | null) ??
    document.querySelector<HTMLScriptElement>("script[data-group][src*='widget.js']");
  if (!script) return;
  const settings = readSettings({ ...script.dataset }, script.src);
  if (!settings) {
    console.warn("conclave widget: data-group and data-key are required");
    return;
  }
  if (document.body) mount(settings);
  else document.addEventListener("DOMContentLoaded", () => mount(settings), { once: true });
}

start();
