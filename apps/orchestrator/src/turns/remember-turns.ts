import { type JetStreamClient, publishEnvelope } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import {
  appendTurn,
  type MemoryStore,
  markPublished,
  type SummaryJob,
  type TurnAppend,
  unpublishedJob,
} from "@conclave/memory";
import { makeEnvelope, type Names } from "@conclave/subjects";

/**
 * Appends ended turns to their group's memory (each once), then sends the summary work item the
 * append asked for, if any, without waiting for it: the record says a summary is under way before
 * its work item goes out, and an unconfirmed one is re-sent (same id, deduplicated) by the next append.
 */
export function createRememberTurns(deps: {
  memory: MemoryStore;
  js: JetStreamClient;
  names: Names;
  log: Logger;
  now?: () => Date;
}): (groupId: string, appends: readonly TurnAppend[]) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  const askForSummary = async (groupId: string, append: TurnAppend, asked: SummaryJob) => {
    try {
      await publishEnvelope(
        deps.js,
        deps.names,
        makeEnvelope({
          id: asked.workId,
          type: "work.llm",
          groupId,
          turnId: append.turnId,
          causationId: null,
          actor: { kind: "agent", id: asked.agent.id, name: asked.agent.name },
          payload: {
            agent: asked.agent,
            turnIndex: append.turnIndex,
            step: 0,
            messages: asked.messages,
            summarize: asked.summarize,
          },
        }),
      );
      await deps.memory.transact(groupId, (record) => {
        const r = markPublished(record, asked.workId);
        return r ? { record: r, emit: [] } : null;
      });
      deps.log.info(
        { groupId, turnId: append.turnId, upToSeq: asked.summarize.upToSeq, workId: asked.workId },
        "summary asked for",
      );
    } catch (err) {
      deps.log.warn(
        { err, groupId, workId: asked.workId },
        "asking for a summary failed; the next turn asks again",
      );
    }
  };
  return async (groupId, appends) => {
    for (const append of appends) {
      let job: SummaryJob | null = null;
      await deps.memory.transact(groupId, (record) => {
        const d = appendTurn(record, append, now());
        job = d?.job ?? unpublishedJob(d?.record ?? record, append.summarizer);
        return d ? { record: d.record, emit: [] } : null;
      });
      const asked = job as SummaryJob | null;
      // Not awaited: the turn's own events go out without waiting for it. If this process dies
      // first, the next append finds the summary unconfirmed and sends the same work item again.
      if (asked) void askForSummary(groupId, append, asked);
    }
  };
}
