import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  freePort,
  launchBrowserContext,
  type OwnBrowser,
  REPO_ROOT,
  startSystem,
  type TestSystem,
} from "@conclave/testing";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureConsoleBuilt } from "./console-build.js";

// The web console in headless Chromium against the whole system: a person signs up, builds a
// debate from templates, watches tokens stream and a vote being tallied, reloads mid-turn and
// sees the same transcript once, reads a turn's timeline and approves a waiting tool call.

const ARTIFACTS = join(REPO_ROOT, "test-artifacts");
const EMAIL = `console-${Date.now()}@example.com`;
const PASSWORD = "correct horse battery staple";

let sys: TestSystem;
let browser: OwnBrowser;
let page: Page;
let base = "";
let debateUrl = "";

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`) });

beforeAll(async () => {
  const edgePort = await freePort();
  base = `http://127.0.0.1:${edgePort}`;
  await Promise.all([ensureConsoleBuilt(), mkdir(ARTIFACTS, { recursive: true })]);
  sys = await startSystem({
    // The page's origin opens the fanout's WebSocket, which refuses other browser origins.
    env: { EDGE_PORT: String(edgePort), CORS_ORIGINS: base },
    envFor: {
      executor: {
        TOOLS_REQUIRE_APPROVAL: "run_js",
        // Offered to the seats' menus (never called: every agent here is scripted).
        OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:9/v1",
        OPENAI_COMPAT_MODELS: "local-1",
      },
    },
  });
  browser = await launchBrowserContext();
  page = await browser.context.newPage();
  page.setDefaultTimeout(30_000);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

// Run in the page (the tests' TypeScript has no DOM types, which would change fetch's types for
// every other test): records when the form was sent, when the first token was painted, what it showed.
const WATCH_TOKENS = `(() => {
  const w = window;
  w.watch = { sent: 0, first: 0, seen: [] };
  document.addEventListener("submit", () => (w.watch.sent = performance.now()), { capture: true, once: true });
  const observer = new MutationObserver(() => {
    const line = document.querySelector("[data-streaming] .tokens");
    const text = (line && line.textContent) || "";
    if (!text) return;
    if (w.watch.seen[w.watch.seen.length - 1] !== text) w.watch.seen.push(text);
    if (w.watch.first === 0) {
      w.watch.first = -1;
      // After the frame that shows it: painted, not just in the DOM.
      requestAnimationFrame(() => { w.watch.first = performance.now(); });
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
})()`;

/** Watches the next answer stream in: when the form was sent, when the first token was painted, what it showed. */
async function watchTokens(): Promise<void> {
  await page.evaluate(WATCH_TOKENS);
}

const watched = () => page.evaluate<{ sent: number; first: number; seen: string[] }>("window.watch");

const completedTurns = () => page.locator('[data-kind="turn"].completed').count();

async function send(text: string) {
  await page.getByLabel("Message").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
}

/** The seq of every line of the room, in order. */
const seqs = () =>
  page.locator("[data-seq]").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));

describe("the console", () => {
  it("registers, signs out and signs in again", async () => {
    await page.goto(`${base}/console/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await shot("sign-in");
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Groups", exact: true }).waitFor();
    await page.getByText(EMAIL).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill("wrong password, surely");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Groups", exact: true }).waitFor();
    // The refresh token is the tab's only (sessionStorage); the access token is never stored.
    const stored = await page.evaluate<{ session: string[]; local: string[] }>(
      "({ session: Object.keys(sessionStorage), local: Object.keys(localStorage) })",
    );
    expect(stored).toEqual({ session: ["conclave.refresh"], local: [] });
  });

  it("offers the providers and models the executors serve, and refuses the others on their field", async () => {
    await page.getByRole("link", { name: "New group" }).first().click();
    await page.getByRole("heading", { name: "New group" }).waitFor();
    await page.getByLabel("Name", { exact: true }).first().fill("Checked");
    await page.getByRole("button", { name: /^Add / }).first().click();
    const seat = page.locator(".seats > li").first();
    const provider = seat.getByLabel("Provider");
    const model = seat.getByLabel("Model");
    const create = page.getByRole("button", { name: "Create group" });
    // The menu is what GET /v1/providers says: served, then answered only with the person's own key.
    await waitFor(
      async () => (await provider.locator("option").allTextContents()).includes("gemini (needs your key)"),
      "the provider menu from the catalog",
    );
    expect(await provider.locator("option").allTextContents()).toEqual([
      "openai-compatible",
      "scripted",
      "anthropic (needs your key)",
      "gemini (needs your key)",
    ]);
    /** The message the field points at (aria-describedby), once it says `pattern`. */
    const describedAs = async (field: Locator, pattern: RegExp) => {
      await waitFor(async () => (await field.getAttribute("aria-invalid")) === "true", `${field} invalid`);
      const id = await field.getAttribute("aria-describedby");
      expect(id).toBeTruthy();
      await textSoon(page.locator(`[id="${id}"]`), pattern);
    };
    await provider.selectOption("gemini");
    await describedAs(provider, /runs only with your own gemini key/);
    expect(await create.isDisabled()).toBe(true);
    // A served provider: its listed model comes first; another model is refused on the model field.
    await provider.selectOption("openai-compatible");
    await waitFor(async () => (await model.inputValue()) === "local-1", "the listed model");
    expect(await provider.getAttribute("aria-invalid")).toBeNull();
    expect(await create.isDisabled()).toBe(false);
    await model.fill("gpt-x");
    await describedAs(model, /openai-compatible serves only local-1/);
    expect(await create.isDisabled()).toBe(true);
    await shot("provider-refused");
    await provider.selectOption("scripted");
    await waitFor(async () => !(await create.isDisabled()), "the form accepting a served provider");
    await seat.getByRole("button", { name: "Remove" }).click();
    await page.getByRole("link", { name: "Groups" }).click();
    await page.getByRole("heading", { name: "Groups", exact: true }).waitFor();
  });

  it("creates a debate from templates, streams its tokens and shows the vote and its tally", async () => {
    await page.getByRole("link", { name: "New group" }).first().click();
    await page.getByRole("heading", { name: "New group" }).waitFor();
    await page.getByLabel("Name", { exact: true }).first().fill("Council");
    await page.getByLabel("Who speaks").selectOption("debate_vote");
    await page.getByLabel("Rounds").fill("1");
    const adds = page.getByRole("button", { name: /^Add / });
    const agents = [
      { name: "Ada", vote: "Bob" },
      { name: "Bob", vote: "Bob" },
      { name: "Cy", vote: "Ada" },
    ];
    for (const [i, a] of agents.entries()) {
      await adds.nth(i).click();
      const seat = page.locator(".seats > li").nth(i);
      await seat.getByLabel("Name").fill(a.name);
      await seat.getByLabel("Tools (comma-separated)").fill("");
      await seat.getByLabel(/Scripted behaviour/).fill(
        JSON.stringify({
          replies: [
            `${a.name} opens: we should weigh the options one by one before we choose`,
            `${a.name} answers the others: I have heard you and my view stands`,
          ],
          votes: [{ choice: a.vote, confidence: 0.8, rationale: `${a.vote} argued best` }],
          tokenDelayMs: 25,
        }),
      );
    }
    await shot("new-group");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("heading", { name: "Council" }).waitFor();
    debateUrl = page.url();
    expect(debateUrl).toMatch(/\/console\/groups\/[0-9a-f-]{36}$/);
    await page.locator(".conn.live").waitFor();

    await watchTokens();
    await send("Which plan should we pick?");
    // The page's own observer records every partial answer (a poll for the streaming line, which
    // lives a few hundred ms, can miss it on a loaded machine): wait for the first it saw.
    await waitFor(async () => (await watched()).seen.length > 0, "the first streamed words", 45_000);
    await shot("room-streaming");
    await page.locator(".consensus").waitFor({ timeout: 45_000 });
    await page.locator('[data-kind="turn"].completed').waitFor();
    const w = await watched();
    // Partial answers were on screen before the whole one: the tokens streamed.
    expect(w.seen.length).toBeGreaterThan(3);
    expect(w.seen.some((t) => t.split(" ").length < 6)).toBe(true);
    expect(w.first).toBeGreaterThan(w.sent);
    await textSoon(page.locator(".consensus"), /Consensus: Bob/);
    expect(await page.locator(".tally-row").count()).toBeGreaterThan(0);
    expect(await page.locator(".ballots li").count()).toBe(3);
    expect(await page.locator('[data-kind="reply"]').count()).toBe(6);
    await shot("room-vote");
  });

  it("reloads mid-turn and shows the same transcript with nothing twice", async () => {
    await send("And what about the second plan?");
    await page.locator("[data-streaming]").first().waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Council" }).waitFor();
    await waitFor(async () => (await completedTurns()) === 2, "the second turn's end after the reload");
    const after = await seqs();
    expect(new Set(after).size).toBe(after.length);
    expect([...after].sort((a, b) => a - b)).toEqual(after);
    expect(await page.locator('[data-kind="message"]').count()).toBe(2);
    expect(await page.locator('[data-kind="reply"]').count()).toBe(12);
    expect(await page.locator(".consensus").count()).toBe(2);
    // A fresh load from history alone shows exactly the same lines.
    await page.reload();
    await page.getByRole("heading", { name: "Council" }).waitFor();
    await waitFor(async () => (await completedTurns()) === 2, "the history after a second reload");
    expect(await seqs()).toEqual(after);
  });

  it("resumes after the stream drops mid-turn, with nothing lost and nothing twice", async () => {
    await send("A third plan, then?");
    await page.locator("[data-streaming]").first().waitFor();
    const fanout = sys.app("fanout");
    fanout.kill();
    await fanout.waitForExit();
    await page.locator(".conn.reconnecting").waitFor();
    await shot("reconnecting");
    fanout.restart();
    await fanout.waitForLog("fanout ops listening");
    await page.locator(".conn.live").waitFor({ timeout: 30_000 });
    await waitFor(async () => (await completedTurns()) === 3, "the third turn's end after the reconnect");
    const all = await seqs();
    expect(new Set(all).size).toBe(all.length);
    expect(await page.locator('[data-kind="message"]').count()).toBe(3);
    expect(await page.locator('[data-kind="reply"]').count()).toBe(18);
    expect(await page.locator(".consensus").count()).toBe(3);
    await page.reload();
    await waitFor(async () => (await completedTurns()) === 3, "the history after the reconnect");
    expect(await seqs()).toEqual(all);
  });

  it("opens a turn's timeline with each call's prompt, time and tokens", async () => {
    await page.getByRole("link", { name: "Timeline" }).first().click();
    await page.getByRole("heading", { name: "Turn timeline" }).waitFor();
    await page.locator(".step").first().waitFor();
    expect(await page.locator('.step[data-type="agent.replied"]').count()).toBeGreaterThanOrEqual(9);
    expect(await page.locator(".call-meta").first().textContent()).toMatch(/ms · \d+ in \/ \d+ out tokens/);
    await page.getByRole("button", { name: "Show prompt" }).first().click();
    await textSoon(page.locator(".prompt").first(), /Which plan should we pick\?/);
    await shot("timeline");
    await page.goBack();
    await page.getByRole("heading", { name: "Council" }).waitFor();
  });

  it("holds a tool call for a person's approval and runs it once approved", async () => {
    await page.getByRole("link", { name: "Groups" }).click();
    await page.getByRole("link", { name: "New group" }).first().click();
    await page.getByLabel("Name", { exact: true }).first().fill("Workshop");
    await page.getByRole("button", { name: /^Add / }).first().click();
    const seat = page.locator(".seats > li").first();
    await seat.getByLabel("Name").fill("Toolsmith");
    await seat.getByLabel("Tools (comma-separated)").fill("run_js");
    await seat.getByLabel(/Scripted behaviour/).fill(
      JSON.stringify({
        toolCalls: [{ name: "run_js", args: { code: "6 * 7" } }],
        replies: ["Computed: 42."],
      }),
    );
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("heading", { name: "Workshop" }).waitFor();
    await page.locator(".conn.live").waitFor();
    // By keyboard: Enter sends, and the Approve button takes Enter.
    await page.getByLabel("Message").fill("Compute six times seven, please");
    await page.getByLabel("Message").press("Enter");
    await page.getByRole("button", { name: "Approve" }).waitFor();
    expect(await page.locator('[data-tool-status="waiting"]').count()).toBe(1);
    await shot("tool-approval");
    await page.getByRole("button", { name: "Approve" }).focus();
    await page.keyboard.press("Enter");
    await page.locator('[data-tool-status="ok"]').waitFor();
    await textSoon(page.locator('[data-kind="reply"]').last(), /Computed: 42\./);
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);
    await shot("tool-done");
  });

  it("paints the first token soon after the post (measured over a few turns)", async () => {
    const login = await sys.post("/v1/auth/login", { email: EMAIL, password: PASSWORD }, null);
    const token = login.body.accessToken as string;
    const group = await sys.post(
      "/v1/groups",
      {
        name: "Stopwatch",
        agents: [{ name: "Quick", scripted: { replies: ["one two three four five six"], tokenDelayMs: 10 } }],
      },
      token,
    );
    expect(group.status).toBe(201);
    await page.goto(`${base}/console/groups/${group.body.id as string}`);
    await page.locator(".conn.live").waitFor();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await watchTokens();
      await send(`ping ${i}`);
      await waitFor(async () => (await watched()).first > 0, "the first token");
      const w = await watched();
      times.push(w.first - w.sent);
      await waitFor(async () => (await completedTurns()) === i + 1, "the turn's end");
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
    // A figure for the record, not a bound (speed lives in the bench): what the test asserts is
    // that each answer was painted while it streamed, beginning with the reply's first words.
    console.log(
      `POST to first token painted: median ${median.toFixed(0)} ms over ${times.length} turns (${times.map((t) => t.toFixed(0)).join(", ")})`,
    );
    expect(times.every((t) => t > 0)).toBe(true);
    const first = (await watched()).seen[0] ?? "";
    expect(first.length).toBeGreaterThan(0);
    expect("one two three four five six".startsWith(first.trim())).toBe(true);
  });

  it("makes a widget key, shows its embed code and a live preview, and revokes it", async () => {
    const token = (await sys.post("/v1/auth/login", { email: EMAIL, password: PASSWORD }, null)).body
      .accessToken as string;
    const groupId = debateUrl.split("/").at(-1) as string;
    await page.goto(debateUrl);
    await page.getByRole("link", { name: "Widget" }).click();
    await page.getByRole("heading", { name: "Widget keys" }).waitFor();
    await page.getByText("No widget keys yet.").waitFor();
    const form = page.getByRole("form", { name: "New widget" });
    await form.getByLabel("Name").fill("Shop");
    // Checked before it is sent: a bare host is not an origin.
    await form.getByLabel(/Allowed origins/).fill("shop.example");
    await form.getByRole("button", { name: "Create widget key" }).click();
    await form.getByText(/line 1: "shop\.example" is not an origin/).waitFor();
    // The console's own origin too, so the preview talks to the group for real.
    await form.getByLabel(/Allowed origins/).fill(`https://shop.example\n${base}`);
    await form.getByLabel("Title").fill("Ask the Council");
    await form.getByLabel("Greeting").fill("Hello! Three agents weigh every question.");
    await form.getByLabel("Colour").fill("#0f766e");
    await form.getByLabel("Position").selectOption("bottom-left");
    await form.getByRole("button", { name: "Create widget key" }).click();
    const code = page.getByLabel("Embed code with the key");
    await code.waitFor();
    await page.getByText("Shown once:").waitFor();
    const keys = await sys.get(`/v1/groups/${groupId}/widget-keys`, token);
    const items = keys.body.items as { id: string; prefix: string; origins: string[] }[];
    expect(items).toHaveLength(1);
    expect(items[0]?.origins).toEqual(["https://shop.example", base]);
    const html = await code.inputValue();
    expect(html).toContain(`${base}/widget.js`);
    expect(html).toContain(`data-group="${groupId}"`);
    expect(html).toMatch(new RegExp(`data-key="ck_${items[0]?.prefix}_[^"]+"`));
    expect(html).toContain('data-primary="#0f766e"');
    await page.getByRole("button", { name: "Copy" }).first().click();
    await page.getByText(/Copied to the clipboard|Selected: press/).waitFor();
    // The preview runs the real script, with the secret, from an allowed origin: live.
    const preview = page.frameLocator('iframe[title="Widget preview"]');
    await preview.locator(".launcher").waitFor();
    await preview.locator(".panel h2").filter({ hasText: "Ask the Council" }).waitFor();
    await preview.getByText("Hello! Three agents weigh every question.").waitFor();
    await expect
      .poll(() => page.locator('iframe[title="Widget preview"]').getAttribute("data-live"))
      .toBe("true");
    await preview.getByText("Online: we reply in seconds").waitFor();
    // A visitor's message from the preview reaches the group, and the agents answer in the widget.
    await preview.getByLabel("Your message").fill("Which plan would you pick?");
    await preview.getByLabel("Your message").press("Enter");
    await preview.locator(".msg.visitor").filter({ hasText: "Which plan would you pick?" }).waitFor();
    await preview
      .locator(".msg.agent:not(.greeting):not(.typing):not(.streaming)")
      .first()
      .waitFor({ timeout: 30_000 });
    await page.evaluate("window.scrollTo(0, 0)");
    await shot("widget");
    // Asked again later, the code has a placeholder where the secret was.
    await page.getByRole("button", { name: "Embed code", exact: true }).click();
    expect(await page.getByLabel("Embed code of Shop").inputValue()).toContain("PASTE-THE-WIDGET-KEY-HERE");
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    await page.getByRole("button", { name: "Yes, revoke" }).click();
    await page.getByText("No widget keys yet.").waitFor();
    expect((await sys.get(`/v1/groups/${groupId}/widget-keys`, token)).body.items).toEqual([]);
    // At phone width nothing spills sideways.
    const wide = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    if (wide) await page.setViewportSize(wide);
    // A viewer has no Widget tab, and the page itself says it is for owners.
    const viewer = await sys.register();
    const added = await sys.post(
      `/v1/groups/${groupId}/members`,
      { email: viewer.email, role: "viewer" },
      token,
    );
    expect(added.status).toBeLessThan(300);
    const other = await browser.context.newPage();
    try {
      await other.goto(`${base}/console/`);
      await other.getByLabel("Email").fill(viewer.email);
      await other.getByLabel("Password").fill(viewer.password);
      await other.getByRole("button", { name: "Sign in" }).click();
      await other.getByRole("heading", { name: "Groups", exact: true }).waitFor();
      await other.goto(`${debateUrl}/widget`);
      await other.getByRole("heading", { name: "Only owners manage the widget" }).waitFor();
      expect(await other.getByRole("link", { name: "Widget" }).count()).toBe(0);
      expect(await other.locator('iframe[title="Widget preview"]').count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("shows usage, agents and memory, and fits a phone", async () => {
    const token = (await sys.post("/v1/auth/login", { email: EMAIL, password: PASSWORD }, null)).body
      .accessToken as string;
    await page.getByRole("link", { name: "Usage" }).click();
    await page.getByRole("heading", { name: "Usage and cost" }).waitFor();
    await page.locator(".chart svg").first().waitFor();
    await page.getByRole("button", { name: "By agent" }).click();
    await textSoon(page.locator(".chart svg").first(), /Ada/, "aria-label");
    await shot("usage");
    await page.getByRole("link", { name: "Agents" }).click();
    await page.getByRole("heading", { name: "Your agents" }).waitFor();
    await shot("agents");
    // The wizard drafts an agent; the editor refuses a provider that needs a key the person has not stored, and saves.
    await page.getByRole("button", { name: "Compose draft" }).click();
    const wizard = page.getByRole("form", { name: "Agent wizard" });
    await wizard.getByLabel("Name").fill("Drafted");
    await wizard.getByRole("button", { name: "Create agent" }).click();
    await page.getByRole("heading", { name: "Drafted" }).waitFor();
    await page.getByLabel("Provider").selectOption("anthropic");
    await page.getByText("runs only with your own anthropic key").waitFor();
    expect(await page.getByRole("button", { name: "Save" }).isDisabled()).toBe(true);
    await shot("agent-editor");
    await page.getByLabel("Provider").selectOption("scripted");
    await page.getByLabel("Description").fill("Made by the wizard, edited here");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const agents = await sys.get("/v1/agents?q=Drafted", token);
    expect((agents.body.items as { description: string; provider: string }[])[0]).toMatchObject({
      description: "Made by the wizard, edited here",
      provider: "scripted",
    });
    // Members and roles: the owner adds a person as a viewer, then makes them a member.
    const friend = await sys.register();
    await page.goto(`${debateUrl}/members`);
    await page.getByRole("heading", { name: "People" }).waitFor();
    const add = page.getByRole("form", { name: "Add a person" });
    await add.getByLabel("Email").fill(friend.email);
    await add.getByLabel("Role").selectOption("viewer");
    await add.getByRole("button", { name: "Add" }).click();
    await page.getByLabel(`Role of ${friend.email}`).selectOption("member");
    await waitFor(async () => {
      const people = await sys.get(`/v1/groups/${debateUrl.split("/").at(-1)}/members`, token);
      return (people.body.items as { email: string; role: string }[]).some(
        (p) => p.email === friend.email && p.role === "member",
      );
    }, "the new member's role");
    await shot("members");
    await page.goto(debateUrl.replace(/$/, "/memory"));
    await page.getByRole("heading", { name: "Memory blocks" }).waitFor();
    await page.getByLabel("New block label").fill("facts");
    await page.getByLabel("Text").last().fill("The team prefers plan B.");
    await page.getByRole("button", { name: "Save" }).last().click();
    await page.getByRole("heading", { name: "facts" }).waitFor();
    await page.getByRole("button", { name: "Show the prompt" }).click();
    await textSoon(page.locator(".prompt"), /The team prefers plan B\./);
    await shot("memory");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(debateUrl);
    await page.locator(".consensus").first().waitFor();
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("phone");
  });
});

/** Waits until the locator's text (or attribute) matches. */
async function textSoon(locator: Locator, pattern: RegExp, attribute?: string): Promise<void> {
  await waitFor(async () => {
    const value = attribute ? await locator.getAttribute(attribute) : await locator.textContent();
    return pattern.test(value ?? "");
  }, `${pattern} in ${locator}`);
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
