import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jetstream } from "@conclave/bus";
import { parseEnvelope } from "@conclave/subjects";
import {
  type AppName,
  type OwnNatsServer,
  type OwnPostgres,
  REPO_ROOT,
  startOwnNatsServer,
  startPostgres,
  startSystem,
  type TestSystem,
  waitUntil,
} from "@conclave/testing";
import postgres from "postgres";
import {
  type Accepted,
  type CheckResult,
  checkInvariants,
  type DbRows,
  type EventLite,
  formatTable,
  type ReportRow,
  type StreamEntry,
} from "./checker.js";
import { ObservedSocket } from "./observed-socket.js";

/** Generous on a loaded two-core machine; the stalls the suite looks for last 30 s and more. */
export const STALL_BOUND_MS = 10_000;
const REPORT_DIR = join(REPO_ROOT, ".data", "fault-report");

/** The whole system on a nats-server and a PostgreSQL of the suite's own. */
export interface FaultSystem {
  sys: TestSystem;
  nats: OwnNatsServer;
  pg: OwnPostgres;
  sql: postgres.Sql;
  /** The table rows of the cases run on this system. */
  rows: ReportRow[];
  stop(): Promise<void>;
}

export async function startFaultSystem(
  o: {
    replicas?: Partial<Record<AppName, number>>;
    env?: Record<string, string>;
    envFor?: Partial<Record<AppName, Record<string, string>>>;
  } = {},
): Promise<FaultSystem> {
  const [nats, pg] = await Promise.all([startOwnNatsServer(), startPostgres()]);
  let sys: TestSystem;
  try {
    sys = await startSystem({
      natsUrl: nats.url,
      pgAdminUrl: pg.url,
      ...(o.replicas ? { replicas: o.replicas } : {}),
      ...(o.envFor ? { envFor: o.envFor } : {}),
      // Many processes load their modules at once on a small, busy machine: that can take minutes.
      readyTimeoutMs: 300_000,
      // A crashed worker's messages come back quickly.
      // The checker reads every turn through the API: no rate limit in its way.
      env: {
        NATS_ACK_WAIT_MS: "2000",
        RATE_LIMIT_PER_MINUTE: "1000000",
        RATE_LIMIT_BURST: "100000",
        ...o.env,
      },
    });
  } catch (e) {
    await nats.dispose();
    await pg.close();
    throw e;
  }
  const sql = postgres(sys.db.url, { max: 2, onnotice: () => undefined });
  return {
    sys,
    nats,
    pg,
    sql,
    rows: [],
    async stop() {
      await sql.end({ timeout: 2 }).catch(() => undefined);
      await sys.stop().catch(() => undefined);
      await nats.dispose();
      await pg.close();
    },
  };
}

/** Every answer the edges gave a post, for cases that judge them (e.g. fast 503s while a server is down). */
export interface PostAttempt {
  status: number;
  ms: number;
  retryAfter: string | null;
  atMs: number;
}

const AGENTS = [
  { name: "Ada", scripted: { delayMs: 150, replies: ["A says yes", "A again"] } },
  { name: "Bob", scripted: { delayMs: 250, replies: ["B says no"] } },
];

/**
 * One fault case: its own groups and sockets on the shared system, a small load, the fault, and
 * then the checker over everything the case's groups hold.
 */
export class FaultCase {
  readonly groups: string[] = [];
  readonly accepted: Accepted[] = [];
  readonly attempts: PostAttempt[] = [];
  readonly sockets: ObservedSocket[] = [];
  private readonly startedAt = Date.now();
  private faultEndAt: number | undefined;
  private recoveryMs: number | null = null;
  private keys = 0;

  constructor(
    readonly fs: FaultSystem,
    readonly name: string,
  ) {}

  get sys() {
    return this.fs.sys;
  }

  /**
   * A request to any edge that answers: the next one on a connection error, and a read again on a
   * 5xx (a stale database connection right after an outage is not what the checker judges).
   */
  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const urls = this.sys.edgeUrls;
    let last: unknown;
    const tries = method === "GET" ? urls.length * 3 : urls.length;
    for (let i = 0; i < tries; i++) {
      const url = urls[(this.keys + i) % urls.length];
      if (i >= urls.length) await new Promise((r) => setTimeout(r, 500));
      try {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.sys.user.accessToken}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        const answer = {
          status: res.status,
          headers: res.headers,
          body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
        };
        if (res.status < 500 || i === tries - 1) return answer;
        last = new Error(`HTTP ${res.status}`);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error("no edge answered");
  }

  async createGroups(count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
    const made: string[] = [];
    for (let i = 0; i < count; i++) {
      const res = await this.api("POST", "/v1/groups", {
        name: `${this.name} ${i}`,
        agents: AGENTS,
        ...extra,
      });
      if (res.status !== 201) throw new Error(`create group: ${res.status} ${JSON.stringify(res.body)}`);
      made.push((res.body as { id: string }).id);
    }
    this.groups.push(...made);
    return made;
  }

  /** Sockets following every group of the case from its start, spread over the fanouts. */
  async openSockets(count: number): Promise<ObservedSocket[]> {
    const made = Array.from(
      { length: count },
      (_, i) =>
        new ObservedSocket(
          `${this.name} socket ${i}`,
          () => this.sys.streamUrls,
          this.sys.user.accessToken,
          [...this.groups],
          i,
        ),
    );
    this.sockets.push(...made);
    await Promise.all(made.map((s) => s.start()));
    return made;
  }

  /**
   * Posts as a careful client does: one idempotency key per message, retried (on another edge)
   * after a connection error or a 5xx until `retryForMs` has passed. Resolves to 202 or the last status.
   */
  async post(groupId: string, content: string, retryForMs = 60_000): Promise<number> {
    const key = `${this.name.replace(/[^A-Za-z0-9]+/g, "-")}-${++this.keys}-${Date.now()}`;
    const deadline = Date.now() + retryForMs;
    let status = 0;
    for (let attempt = 0; ; attempt++) {
      const url = this.sys.edgeUrls[(this.keys + attempt) % this.sys.edgeUrls.length];
      const t0 = Date.now();
      let retryAfter: string | null = null;
      try {
        const res = await fetch(`${url}/v1/groups/${groupId}/messages`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${this.sys.user.accessToken}`,
            "content-type": "application/json",
            "idempotency-key": key,
          },
          body: JSON.stringify({ content }),
          signal: AbortSignal.timeout(15_000),
        });
        status = res.status;
        retryAfter = res.headers.get("retry-after");
        const body = (await res.json().catch(() => ({}))) as {
          messageId?: string;
          turnId?: string;
          seq?: number;
        };
        if (status === 202 && body.messageId && body.turnId && body.seq !== undefined)
          this.accepted.push({ groupId, messageId: body.messageId, turnId: body.turnId, seq: body.seq });
      } catch (e) {
        status = e instanceof Error && e.name === "TimeoutError" ? -2 : -1;
      }
      this.attempts.push({ status, ms: Date.now() - t0, retryAfter, atMs: t0 });
      // A careful client also comes back after a 429 (its retries during an outage spend the rate limit).
      const retryable = status <= 0 || status >= 500 || status === 429;
      if (status === 202 || !retryable || Date.now() > deadline) return status;
      const wait = status === 429 ? Math.min(2000, Number(retryAfter ?? 1) * 1000) : 250;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** `perGroup` messages to each group, one after the other per group, the groups side by side. */
  async load(perGroup: number, o: { gapMs?: number; groups?: string[]; retryForMs?: number } = {}) {
    const groups = o.groups ?? this.groups;
    await Promise.all(
      groups.map(async (g) => {
        for (let i = 0; i < perGroup; i++) {
          await this.post(g, `${this.name}: message ${i} to ${g.slice(-6)}`, o.retryForMs);
          if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
        }
      }),
    );
  }

  /** Posts to the groups in turn, `gapMs` apart, until the returned stop is called (or `max` posts). */
  startLoad(o: { gapMs: number; groups?: string[]; max?: number }): () => Promise<void> {
    let stopped = false;
    const groups = o.groups ?? this.groups;
    const running = Promise.all(
      groups.map(async (g, gi) => {
        await new Promise((r) => setTimeout(r, (o.gapMs / groups.length) * gi));
        for (let i = 0; !stopped && i < (o.max ?? 200); i++) {
          await this.post(g, `${this.name}: message ${i} to ${g.slice(-6)}`);
          await new Promise((r) => setTimeout(r, o.gapMs));
        }
      }),
    );
    return async () => {
      stopped = true;
      await running;
    };
  }

  /** Marks the end of the fault: recovery is measured from here. */
  faultEnded(): void {
    this.faultEndAt = Date.now();
  }

  /** Reads what the case's groups hold: stream, database, sockets, and (`withApi`) the API's view. */
  async observe(withApi = true) {
    const stream: Record<string, StreamEntry[]> = {};
    for (const g of this.groups) stream[g] = await readGroupStream(this.fs, g);
    const db = await readRows(this.fs.sql, this.groups);
    const turnKeys = withApi ? [...new Set(this.accepted.map((a) => `${a.groupId}/${a.turnId}`))] : [];
    const turns = await Promise.all(
      turnKeys.map(async (k) => {
        const [groupId, turnId] = k.split("/") as [string, string];
        const res = await this.api("GET", `/v1/groups/${groupId}/turns/${turnId}`);
        return { turnId, status: res.status === 200 ? String(res.body.status) : `HTTP ${res.status}` };
      }),
    );
    const history = await Promise.all(
      (withApi ? this.groups : []).map(async (groupId) => {
        const res = await this.api("GET", `/v1/groups/${groupId}/messages?limit=500`);
        const items = (res.body.items ?? []) as { id: string }[];
        return { groupId, ids: items.map((m) => m.id) };
      }),
    );
    return checkInvariants({
      groups: this.groups,
      accepted: this.accepted,
      stream,
      db,
      api: { turns, history },
      sockets: this.sockets.map((s) => s.log),
      stallBoundMs: STALL_BOUND_MS,
    });
  }

  /**
   * Waits until every accepted message has its outcome, everything is recorded and every socket
   * caught up (bounded), then checks every invariant and adds the case's row to the table.
   */
  async settleAndCheck(timeoutMs = 90_000): Promise<CheckResult> {
    let result: CheckResult | undefined;
    try {
      await waitUntil(
        `${this.name}: every outcome recorded and delivered`,
        async () => {
          result = await this.observe(false);
          return result.lost === 0 ? result : undefined;
        },
        timeoutMs,
        500,
      );
      this.recoveryMs = this.faultEndAt === undefined ? null : Date.now() - this.faultEndAt;
    } catch {
      // Judged below with what is there.
    }
    // Once more after a pause: a late duplicate shows up only after the rest caught up.
    await new Promise((r) => setTimeout(r, 1500));
    result = await this.observe().catch(() => result);
    if (!result) throw new Error(`${this.name}: nothing could be observed`);
    await Promise.all(this.sockets.map((s) => s.stop()));
    const row: ReportRow = {
      case: this.name,
      accepted: result.accepted,
      outcomes: result.outcomes,
      lost: result.lost,
      duplicated: result.duplicated,
      stalls: result.stalls,
      recoveryMs: this.recoveryMs,
      maxLagMs: result.maxLagMs,
      durationMs: Date.now() - this.startedAt,
      violations: result.violations.length,
    };
    this.fs.rows.push(row);
    if (result.violations.length > 0) {
      // What the apps were doing: which died, and their last complaints.
      const apps = this.sys.apps.map((a, i) => {
        const errors = a.lines.filter((l) => /"level":(40|50|60)/.test(l)).slice(-3);
        return `${a.app}#${i} ${a.running ? "running" : "EXITED"}${errors.map((e) => `\n      ${e.slice(0, 400)}`).join("")}`;
      });
      console.error(
        `[fault] ${this.name}:\n  ${result.violations.join("\n  ")}\n  apps:\n    ${apps.join("\n    ")}`,
      );
    }
    return result;
  }
}

/** Every entry of a group's subjects, read straight from the stream with an ordered consumer. */
export async function readGroupStream(fs: FaultSystem, groupId: string): Promise<StreamEntry[]> {
  const js = jetstream(fs.sys.bus.nc);
  const names = fs.sys.bus.names;
  const consumer = await js.consumers.get(names.stream("conv"), {
    filter_subjects: names.groupFilter(groupId),
  });
  const out: StreamEntry[] = [];
  for (let i = 0; i < 10_000; i++) {
    const m = await consumer.next({ expires: 1000 });
    if (!m) break;
    let event: EventLite | undefined;
    try {
      const parsed = parseEnvelope(m.json());
      if (parsed.ok) {
        const e = parsed.envelope;
        event = {
          id: e.id,
          type: e.type,
          groupId: e.groupId,
          turnId: e.turnId,
          payload: e.payload as Record<string, unknown>,
        };
      }
    } catch {
      // Not JSON: a poison entry, which no reader must relay.
    }
    out.push({
      seq: m.seq,
      storedAtMs: Math.round(m.info.timestampNanos / 1e6),
      ...(event ? { event } : {}),
    });
    if (m.info.pending === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return out;
}

async function readRows(sql: postgres.Sql, groups: string[]): Promise<DbRows> {
  const [events, messages, turns, votes, ballots] = await Promise.all([
    sql<(EventLite & { seq: number })[]>`
      select id, seq::int as seq, group_id as "groupId", turn_id as "turnId", type, payload
      from events where group_id = any(${groups}::uuid[])`,
    sql<
      DbRows["messages"]
    >`select id, group_id as "groupId", type from messages where group_id = any(${groups}::uuid[])`,
    sql<
      DbRows["turns"]
    >`select id, group_id as "groupId", status from turns where group_id = any(${groups}::uuid[])`,
    sql<
      DbRows["votes"]
    >`select vote_id as "voteId", group_id as "groupId" from votes where group_id = any(${groups}::uuid[])`,
    sql<DbRows["ballots"]>`
      select event_id as "eventId", vote_id as "voteId", group_id as "groupId"
      from vote_ballots where group_id = any(${groups}::uuid[])`,
  ]);
  return { events, messages, turns, votes, ballots };
}

/** Writes this file's rows (JSON) and the whole suite's table so far (markdown), and logs the table. */
export async function writeReport(file: string, rows: ReportRow[], totalMs: number): Promise<string> {
  await mkdir(REPORT_DIR, { recursive: true });
  await writeFile(join(REPORT_DIR, `${file}.json`), JSON.stringify({ file, totalMs, rows }, null, 2));
  const all: { file: string; totalMs: number; rows: ReportRow[] }[] = [];
  for (const f of (await readdir(REPORT_DIR)).filter((n) => n.endsWith(".json")).sort())
    all.push(JSON.parse(await readFile(join(REPORT_DIR, f), "utf8")));
  const table = formatTable(all.flatMap((a) => a.rows));
  const files = all.map((a) => `${a.file}: ${(a.totalMs / 1000).toFixed(0)} s`).join(", ");
  await writeFile(join(REPORT_DIR, "report.md"), `${table}\n\nFiles: ${files}\n`);
  const mine = formatTable(rows);
  console.log(`\n[fault] ${file} (${(totalMs / 1000).toFixed(0)} s)\n${mine}\n`);
  return mine;
}

const READY_LOG: Record<AppName, string> = {
  edge: "edge listening",
  fanout: "fanout listening",
  orchestrator: "orchestrator started",
  executor: "executor started",
  recorder: "recorder started",
};

/** Starts a stopped or killed app again (same port, same replica) and waits until it is up. */
export async function restartApp(
  p: ReturnType<TestSystem["app"]>,
  env: Record<string, string | undefined> = {},
): Promise<void> {
  if (p.running) await p.waitForExit(30_000);
  p.restart(env);
  await p.waitForLog(READY_LOG[p.app], 180_000);
}

/** SIGTERM, and the exit code once it is gone (null: still running after the wait, then killed). */
export async function terminateApp(
  p: ReturnType<TestSystem["app"]>,
  timeoutMs = 30_000,
): Promise<number | null> {
  p.kill("SIGTERM");
  try {
    return await p.waitForExit(timeoutMs);
  } catch {
    p.kill("SIGKILL");
    await p.waitForExit(10_000);
    return null;
  }
}
