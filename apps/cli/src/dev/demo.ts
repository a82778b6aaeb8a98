import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@conclave/errors";

export interface DemoGroup {
  id: string;
  agents: { name: string }[];
}

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

/** Creates a demo group with two scripted agents through the public API. */
export async function createDemoGroup(edgeUrl: string): Promise<DemoGroup> {
  const res = await fetch(`${edgeUrl}/v1/groups`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "Demo",
      agents: [
        {
          name: "Ada",
          scripted: { replies: ["Hello! I am Ada, a scripted agent.", "Still here, and still scripted."] },
        },
        { name: "Grace", scripted: { delayMs: 300 } },
      ],
    }),
  });
  if (res.status !== 201)
    throw new AppError("internal", `creating the demo group failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as DemoGroup;
}

export function banner(o: {
  edgeUrl: string;
  streamUrl: string;
  group: DemoGroup | undefined;
  ns: string;
  db: string;
  nats: string;
  watchEnv: string;
}): string {
  const lines = [
    "",
    `Conclave is running (namespace ${o.ns}; database: ${o.db}; NATS: ${o.nats})`,
    `  HTTP API   ${o.edgeUrl}`,
    `  WebSocket  ${o.streamUrl}`,
  ];
  if (o.group) {
    const id = o.group.id;
    lines.push(
      "",
      `Demo group ${id} with agents ${o.group.agents.map((a) => a.name).join(" and ")}.`,
      "",
      "Watch it live (in another terminal):",
      `  ${o.watchEnv}npm run watch -- ${id}`,
      "",
      "Post a message:",
      `  curl -s -X POST ${o.edgeUrl}/v1/groups/${id}/messages -H 'content-type: application/json' -d '{"content":"Hello, agents!"}'`,
      "",
      "Read the history:",
      `  curl -s ${o.edgeUrl}/v1/groups/${id}/messages`,
      "",
      `Any WebSocket client: connect to ${o.streamUrl} and send {"type":"subscribe","groupId":"${id}","afterSeq":0}`,
    );
  }
  lines.push("", "Ctrl-C stops everything.", "");
  return lines.join("\n");
}
