import type { NatsConnection } from "@conclave/bus";
import { agents, type Db, type DbHandle, groupAgents, groupMembers, groups } from "@conclave/db";
import { createEdge, type EdgeDeps, loadConfig } from "@conclave/edge";
import { listen } from "@conclave/http";
import { loadConfig as orchestratorConfig } from "@conclave/orchestrator";
import { verifyGroup } from "@conclave/orchestrator/verify";

/** A synthetic group: its id and the two agents every one of its turns seats (Ada, then Bo). */
export interface BenchGroup {
  id: string;
  ada: string;
  bo: string;
}

/** The replay route's own limit: events per request, past it a `Link rel=next` for the rest. */
export const REPLAY_LIMIT = 10_000;

export interface ServedEdge {
  url: string;
  /** The access token of the account that owns every bench group. */
  token: string;
  close(): Promise<void>;
}

/**
 * The edge in this process on the bench's namespace and database, over real HTTP on a free port; a
 * bench account registered through it owns `benchGroups` (their rows, its membership and the seated
 * agents written straight into the tables, as group creation would have left them, without
 * publishing anything to the stream the bench measures).
 */
export async function serveEdge(deps: {
  nc: NatsConnection;
  ns: string;
  db: DbHandle;
  log: EdgeDeps["log"];
  benchGroups: BenchGroup[];
}): Promise<ServedEdge> {
  const config = loadConfig({
    CONCLAVE_NS: deps.ns,
    RATE_LIMIT_PER_MINUTE: "1000000",
    RATE_LIMIT_BURST: "100000",
  });
  const app = await createEdge({ config, nc: deps.nc, db: deps.db, log: deps.log });
  const http = await listen({
    fetch: app.fetch,
    hostname: "127.0.0.1",
    port: 0,
    log: deps.log,
    name: "edge",
  });
  const addr = http.server.address();
  const url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  try {
    const res = await fetch(`${url}/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `bench-${deps.ns}@example.com`, password: `bench password ${deps.ns}` }),
    });
    const body = (await res.json()) as { account?: { id: string }; accessToken?: string };
    if (res.status !== 201 || !body.account || !body.accessToken)
      throw new Error(`register: ${res.status} ${JSON.stringify(body)}`);
    await seedGroups(deps.db.db, body.account.id, deps.benchGroups);
    return { url, token: body.accessToken, close: http.close };
  } catch (e) {
    await http.close();
    throw e;
  }
}

async function seedGroups(db: Db, accountId: string, benchGroups: BenchGroup[]) {
  await db
    .insert(groups)
    .values(benchGroups.map((g, i) => ({ id: g.id, name: `bench ${i}`, strategy: "debate_vote" as const })));
  await db
    .insert(groupMembers)
    .values(benchGroups.map((g) => ({ groupId: g.id, accountId, role: "owner" as const })));
  const seated = benchGroups.flatMap((g) =>
    [
      [g.ada, "Ada"],
      [g.bo, "Bo"],
    ].map(([id, name], seat) => ({ groupId: g.id, id: id as string, name: name as string, seat })),
  );
  await db
    .insert(agents)
    .values(seated.map((a) => ({ id: a.id, accountId, name: a.name, provider: "scripted", model: "m" })));
  await db
    .insert(groupAgents)
    .values(seated.map((a) => ({ groupId: a.groupId, agentId: a.id, seat: a.seat })));
}

/**
 * `GET /v1/groups/:groupId/replay` for every group, one group after another, following `Link`
 * until the group's events end; every NDJSON line parsed. Returns the lines read.
 */
export async function replayAll(edge: ServedEdge, benchGroups: BenchGroup[]): Promise<number> {
  let lines = 0;
  for (const g of benchGroups) {
    let next: string | null = `/v1/groups/${g.id}/replay?limit=${REPLAY_LIMIT}`;
    while (next) {
      const res: Response = await fetch(`${edge.url}${next}`, {
        headers: { authorization: `Bearer ${edge.token}` },
      });
      if (res.status !== 200 || !res.body)
        throw new Error(`replay ${g.id}: ${res.status} ${await res.text()}`);
      const expected = Number(res.headers.get("replay-count"));
      let got = 0;
      let rest = "";
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        const text = rest + decoder.decode(chunk, { stream: true });
        const parts = text.split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) {
          const { seq } = JSON.parse(line) as { seq: number };
          if (!Number.isInteger(seq)) throw new Error(`replay ${g.id}: a line without seq`);
          got++;
        }
      }
      if (rest !== "") throw new Error(`replay ${g.id}: the answer was cut short`);
      if (got !== expected) throw new Error(`replay ${g.id}: ${got} lines, Replay-Count ${expected}`);
      lines += got;
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1] ?? null;
    }
  }
  return lines;
}

/**
 * `verifyGroup` over every group with the orchestrator's default turn limits, as `conclave replay
 * --verify` calls it. Returns the events of the verdicts and the turns that diverge.
 */
export async function verifyAll(db: Db, benchGroups: BenchGroup[]) {
  const defaults = orchestratorConfig({});
  let events = 0;
  let turns = 0;
  let divergent = 0;
  for (const g of benchGroups) {
    const verdicts = await verifyGroup({
      db,
      groupId: g.id,
      defaults: {
        turnTimeoutMs: defaults.TURN_TIMEOUT_MS,
        maxAgentSteps: defaults.TURN_MAX_AGENT_STEPS,
        voteDeadlineMs: defaults.VOTE_DEADLINE_MS,
      },
    });
    for (const v of verdicts) {
      events += v.events;
      turns++;
      if (!v.ok) divergent++;
    }
  }
  return { events, turns, divergent };
}
