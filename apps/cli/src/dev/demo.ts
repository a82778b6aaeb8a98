import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@conclave/errors";

export interface DemoGroup {
  id: string;
  agents: { name: string }[];
}

/** The demo: a broadcast group, a debate-and-vote group, and the API key the printed commands use. */
export type Demo = DemoGroup & { council: DemoGroup; apiKey: string; email: string; password: string };

/** Waits until the edge is ready. */
export async function waitForEdge(edgeUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${edgeUrl}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new AppError("unavailable", `the edge at ${edgeUrl} was not ready after ${timeoutMs} ms`);
}

async function call<T>(url: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (res.status !== 201)
    throw new AppError("internal", `demo set-up: ${url} answered ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Through the public API: a demo account, an API key for it (read + write), a group with two
 * scripted agents, and a `debate_vote` group of three that answer, debate a round and vote. The
 * key is what the printed examples use.
 */
export async function createDemo(edgeUrl: string): Promise<Demo> {
  const email = `demo-${Date.now().toString(36)}@example.com`;
  const password = randomBytes(18).toString("base64url");
  const { accessToken } = await call<{ accessToken: string }>(`${edgeUrl}/v1/auth/register`, {
    email,
    password,
  });
  const { key } = await call<{ key: string }>(
    `${edgeUrl}/v1/api-keys`,
    { name: "demo", scopes: ["read", "write"] },
    accessToken,
  );
  const group = await call<DemoGroup>(
    `${edgeUrl}/v1/groups`,
    {
      name: "Demo",
      agents: [
        {
          name: "Ada",
          scripted: { replies: ["Hello! I am Ada, a scripted agent.", "Still here, and still scripted."] },
        },
        { name: "Grace", scripted: { delayMs: 300 } },
      ],
    },
    key,
  );
  const vote = (choice: string, confidence: number, rationale: string) => [{ choice, confidence, rationale }];
  const council = await call<DemoGroup>(
    `${edgeUrl}/v1/groups`,
    {
      name: "Council",
      strategy: "debate_vote",
      settings: { turnLimits: { maxRounds: 1 } },
      agents: [
        {
          name: "Ada",
          scripted: {
            replies: ["Ship it on Friday.", "Still Friday: the tests are green."],
            votes: vote("Ada", 0.8, "the risk is low"),
          },
        },
        {
          name: "Grace",
          scripted: {
            replies: ["Wait until Monday.", "Monday: nobody is on call this weekend."],
            votes: vote("Grace", 0.9, "on-call matters more"),
          },
        },
        {
          name: "Linus",
          scripted: {
            replies: ["Friday is fine.", "I now agree with Grace."],
            votes: vote("Grace", 0.7, "Grace's point about on-call convinced me"),
          },
        },
      ],
    },
    key,
  );
  return { ...group, council, apiKey: key, email, password };
}

export function banner(o: {
  edgeUrl: string;
  streamUrl: string;
  group: Demo | undefined;
  ns: string;
  db: string;
  nats: string;
  watchEnv: string;
  /** Each app's ops base URL (/metrics, /healthz, /readyz, /health/detailed). */
  ops: Record<string, string>;
}): string {
  const lines = [
    "",
    `Conclave is running (namespace ${o.ns}; database: ${o.db}; NATS: ${o.nats})`,
    `  Console    ${o.edgeUrl}/console`,
    `  HTTP API   ${o.edgeUrl}`,
    `  WebSocket  ${o.streamUrl}`,
    "  Operations: /metrics, /healthz, /readyz and /health/detailed on each app's ops port",
    ...Object.entries(o.ops).map(([app, url]) => `    ${app.padEnd(12)} ${url}`),
  ];
  if (o.group) {
    const id = o.group.id;
    const auth = `-H 'authorization: Bearer ${o.group.apiKey}'`;
    lines.push(
      "",
      `Demo group ${id} with agents ${o.group.agents.map((a) => a.name).join(" and ")}.`,
      "",
      "Open the console and sign in as the demo account:",
      `  ${o.edgeUrl}/console   ${o.group.email} / ${o.group.password}`,
      "",
      "Watch it live (in another terminal):",
      `  ${o.watchEnv}CONCLAVE_TOKEN=${o.group.apiKey} npm run watch -- ${id}`,
      "",
      "Post a message:",
      `  curl -s -X POST ${o.edgeUrl}/v1/groups/${id}/messages ${auth} -H 'content-type: application/json' -d '{"content":"Hello, agents!"}'`,
      "",
      "Read the history:",
      `  curl -s ${o.edgeUrl}/v1/groups/${id}/messages ${auth}`,
      "",
      `Any WebSocket client: connect to ${o.streamUrl}, send {"type":"auth","token":"${o.group.apiKey}"}`,
      `then {"type":"subscribe","groupId":"${id}","afterSeq":0}`,
      "",
      `A debate: group ${o.group.council.id} (${o.group.council.agents.map((a) => a.name).join(", ")}) answers, debates a round, then votes:`,
      `  ${o.watchEnv}CONCLAVE_TOKEN=${o.group.apiKey} npm run watch -- ${o.group.council.id}`,
      `  curl -s -X POST ${o.edgeUrl}/v1/groups/${o.group.council.id}/messages ${auth} -H 'content-type: application/json' -d '{"content":"Should we release on Friday?"}'`,
      "Then read it back step by step (who spoke and why, ballots, tally, tokens and latency), with no LLM call:",
      `  ${o.watchEnv}CONCLAVE_TOKEN=${o.group.apiKey} npm run replay -- ${o.group.council.id}`,
      "",
      `The demo API key (${o.group.apiKey.slice(0, 11)}…) has read and write scopes; it is shown only here.`,
    );
  }
  lines.push("", "Ctrl-C stops everything.", "");
  return lines.join("\n");
}
