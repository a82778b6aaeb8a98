import { createAppMetrics } from "@conclave/metrics";
import { makeEnvelope, newEventId } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { turnMetrics } from "./metrics.js";

const base = () => ({
  id: newEventId(),
  groupId: newEventId(),
  turnId: newEventId(),
  causationId: null,
  actor: { kind: "system" as const, id: "orchestrator" },
});

describe("turnMetrics", () => {
  it("counts ended turns by outcome (a failure by its reason) and strategy, with their duration, never by id", async () => {
    const m = createAppMetrics("orchestrator", { defaults: false });
    const observe = turnMetrics(m);
    const completed = makeEnvelope({
      ...base(),
      type: "turn.completed",
      payload: { messageId: newEventId(), replyIds: [], durationMs: 1500 },
    });
    const failed = makeEnvelope({
      ...base(),
      type: "turn.failed",
      payload: { messageId: newEventId(), reason: "timeout", detail: "", replyIds: [], durationMs: 120_000 },
    });
    observe.turnEnded(completed, "broadcast");
    observe.turnEnded(completed, "broadcast");
    observe.turnEnded(failed, "debate_vote");
    observe.conflict();
    const body = (await m.render()).body;
    expect(body).toMatch(
      /conclave_turns_total\{outcome="completed",strategy="broadcast",app="orchestrator"\} 2/,
    );
    expect(body).toMatch(
      /conclave_turns_total\{outcome="failed_timeout",strategy="debate_vote",app="orchestrator"\} 1/,
    );
    expect(body).toMatch(/conclave_turn_duration_seconds_sum\{[^}]*outcome="completed"[^}]*\} 3/);
    expect(body).toMatch(/conclave_turn_state_conflicts_total\{app="orchestrator"\} 1/);
    expect(body).not.toContain(completed.groupId);
    expect(body).not.toContain(completed.turnId ?? "none");
  });
});
