import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import type { GroupFeed } from "@conclave/bus";
import { agents, asc, eq, groupAgents } from "@conclave/db";
import { AppError, type FieldIssue, isAppError } from "@conclave/errors";
import type { AccessChanged, TokenDelta } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { params } from "../http/validate.js";
import { keyedIds, postMessage, recordedSeq } from "../messages/post-message.js";
import { postMessageBody } from "../messages/schemas.js";
import { type Cursor, parseCursor } from "./cursor.js";
import { AgUiRunInput, ForwardedResume } from "./schemas.js";
import { createRunTranslator, type Output } from "./translate.js";

/** An AG-UI run being streamed: its events until the turn ends, the client leaves or the edge stops. */
export interface AgUiRun {
  turnId: string;
  outputs(): AsyncIterable<Output>;
  close(): void;
}

/**
 * Posts the last user message of an AG-UI RunAgentInput to the group (as `postMessage`, keyed by the
 * run id: the same run again posts nothing and streams the same turn), then translates the turn's
 * events and token deltas into AG-UI events. With a cursor (Last-Event-ID) it sends only what comes
 * after it. At most `EDGE_MAX_WAITS` waits and streams at once; over that it is a 503, posting nothing.
 */
export async function runAgUi({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: {
    groupId: string;
    body: unknown;
    lastEventId: string | undefined;
    signal: AbortSignal;
    /**
     * Throws when the caller may no longer read the group (its credential revoked or expired, its
     * membership gone): run on every access change this edge hears, and every `recheckMs`.
     */
    recheck: () => Promise<void>;
    recheckMs: number;
  };
}): Promise<AgUiRun> {
  const { groupId } = input;
  requireScope(principal, "read");
  await requireGroupAccess(ctx.db, principal, groupId, "post");
  const body = params(input.body, AgUiRunInput, "body");
  const { content, resume } = checkInput(ctx, groupId, { body, lastEventId: input.lastEventId });
  const release = ctx.waits.take();
  if (!release) throw new AppError("unavailable", "too many streams open on this edge; retry later");
  let closed = false;
  let feed: GroupFeed | undefined;
  let unsubscribe: (() => void) | undefined;
  let unwatch: (() => void) | undefined;
  let recheckTimer: ReturnType<typeof setInterval> | undefined;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe?.();
    unwatch?.();
    clearInterval(recheckTimer);
    feed?.close();
    release();
    wake?.();
  };
  let wake: (() => void) | undefined;
  try {
    const actor = { kind: "user" as const, id: principal.accountId };
    const key = `agui:${body.runId}`;
    const ids = keyedIds(groupId, actor.id, key);
    // A run resumed after the stream's duplicate window is found in the read model, not posted again.
    const seq =
      (await recordedSeq(ctx, groupId, ids.messageId)) ??
      (await postMessage({ ctx, input: { groupId, actor, content, idempotencyKey: key } })).seq;
    const translator = createRunTranslator(
      {
        threadId: body.threadId,
        runId: body.runId,
        turnId: ids.turnId,
        messageId: ids.messageId,
        messageSeq: seq,
      },
      await agentNames(ctx, groupId),
      resume,
      body.messages,
    );
    const queue: Output[] = [];
    let finished = false;
    const push = (outs: Output[]) => {
      if (outs.length === 0) return;
      queue.push(...outs);
      wake?.();
    };
    // Deltas are heard before the history is read, so none of a call streaming now is missed.
    const deltas: TokenDelta[] = [];
    let started = false;
    unsubscribe = ctx.deltas(groupId, (d) => {
      if (started) push(translator.delta(d));
      else deltas.push(d);
    });
    const log = ctx.log.child({ groupId, turnId: ids.turnId });
    feed = await ctx.feeds(groupId, seq, log);
    push(translator.start());
    started = true;
    for (const d of deltas.splice(0)) push(translator.delta(d));
    const opened = feed;
    void (async () => {
      try {
        for await (const { seq: s, event } of opened.events()) {
          push(translator.event(s, event));
          if (translator.ended) break;
        }
      } catch (err) {
        log.warn({ err }, "could not read the turn's events; the AG-UI stream ends (resumable)");
      } finally {
        finished = true;
        wake?.();
      }
    })();
    // Access lost mid-turn ends the stream with RUN_ERROR `access_lost`: nothing more is sent.
    let checking = false;
    const recheck = async () => {
      if (checking || closed || finished) return;
      checking = true;
      try {
        await input.recheck();
      } catch (err) {
        if (!isAppError(err) || !LOST.has(err.code)) {
          log.warn(
            { err },
            "could not recheck the AG-UI caller's access; the stream goes on until the next check",
          );
          return;
        }
        log.info({ code: err.code }, "the AG-UI caller lost access to the group; the stream ends");
        push(translator.accessLost("access to the group was lost"));
        finished = true;
        wake?.();
      } finally {
        checking = false;
      }
    };
    unwatch = ctx.caches.onChange((c) => {
      if (c === null || concerns(c, principal, groupId)) void recheck();
    });
    recheckTimer = setInterval(() => void recheck(), input.recheckMs);
    recheckTimer.unref();
    for (const s of [input.signal, ctx.stopping]) s.addEventListener("abort", close, { once: true });
    if (input.signal.aborted || ctx.stopping.aborted) close();
    return {
      turnId: ids.turnId,
      close,
      async *outputs() {
        try {
          while (true) {
            const next = queue.shift();
            if (next) {
              yield next;
              continue;
            }
            if (finished || closed) return;
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = undefined;
          }
        } finally {
          close();
        }
      },
    };
  } catch (e) {
    close();
    throw e;
  }
}

/** The answers of a recheck that mean the caller may no longer follow the run. */
const LOST: ReadonlySet<string> = new Set(["unauthorized", "forbidden", "not_found"]);

/** Whether an access change may have changed what this caller may do in this group. */
function concerns(c: AccessChanged, p: Principal, groupId: string): boolean {
  switch (c.kind) {
    case "membership":
      return c.groupId === groupId && c.accountId === p.accountId;
    case "group":
      return c.groupId === groupId;
    case "session":
      return c.sessionId === p.sessionId;
    case "account":
      return c.accountId === p.accountId;
    case "api_key":
      return c.apiKeyId === p.apiKeyId;
    case "budget":
      return false;
  }
}

/** The text to post and the cursor to resume after; every failing field at once, nothing posted. */
function checkInput(
  ctx: EdgeContext,
  groupId: string,
  input: { body: AgUiRunInput; lastEventId: string | undefined },
): { content: string; resume: Cursor | undefined } {
  const { body } = input;
  const fields: FieldIssue[] = [];
  if (body.threadId !== groupId) fields.push({ path: "body.threadId", message: "must be the group's id" });
  const at = body.messages.findLastIndex((m) => m.role === "user");
  const last = body.messages[at];
  let content = "";
  if (last?.role !== "user") fields.push({ path: "body.messages", message: "needs a user message" });
  else {
    const raw =
      typeof last.content === "string"
        ? last.content
        : last.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
    const checked = postMessageBody(ctx.config.MAX_MESSAGE_CHARS).shape.content.safeParse(raw);
    if (checked.success) content = checked.data;
    else
      for (const i of checked.error.issues)
        fields.push({ path: `body.messages.${at}.content`, message: i.message });
  }
  const forwarded = ForwardedResume.safeParse(body.forwardedProps ?? {});
  const lastEventId =
    input.lastEventId ?? (forwarded.success ? forwarded.data.conclave?.lastEventId : undefined);
  let resume: Cursor | undefined;
  if (lastEventId !== undefined && lastEventId.trim() !== "") {
    resume = parseCursor(lastEventId);
    if (!resume)
      fields.push({
        path:
          input.lastEventId !== undefined
            ? "header.last-event-id"
            : "body.forwardedProps.conclave.lastEventId",
        message: "not an event id of this stream",
      });
  }
  if (fields.length > 0) throw new AppError("validation", "request body is invalid", { fields });
  return { content, resume };
}

async function agentNames(ctx: EdgeContext, groupId: string): Promise<Map<string, string>> {
  const rows = await ctx.db
    .select({ id: agents.id, name: agents.name })
    .from(groupAgents)
    .innerJoin(agents, eq(agents.id, groupAgents.agentId))
    .where(eq(groupAgents.groupId, groupId))
    .orderBy(asc(groupAgents.seat));
  return new Map(rows.map((r) => [r.id, r.name]));
}
