import type { GroupSettings } from "@conclave/db";
import type { FieldIssue } from "@conclave/errors";
import { type GroupSettingsInput, type GroupSettingsPatch, thresholdIssue } from "./schemas.js";

/** Settings as given at creation, as stored: a null selector is no selector. */
export function storedSettings(input: GroupSettingsInput): GroupSettings {
  const { selectorAgentId, ...rest } = input;
  return selectorAgentId ? { ...rest, selectorAgentId } : rest;
}

/** Applies a settings merge patch: given keys change, `null` drops a key back to its default. */
export function mergeSettings(current: GroupSettings, patch: GroupSettingsPatch): GroupSettings {
  const next: GroupSettings = { ...current };
  if (patch.turnLimits === null) delete next.turnLimits;
  else if (patch.turnLimits) {
    const limits: Record<string, number> = { ...current.turnLimits };
    for (const [key, value] of Object.entries(patch.turnLimits)) {
      if (value === null) delete limits[key];
      else if (value !== undefined) limits[key] = value;
    }
    next.turnLimits = limits;
  }
  if (patch.voting === null) delete next.voting;
  else if (patch.voting) next.voting = mergeVoting(current.voting ?? {}, patch.voting);
  if (patch.selectorAgentId === null) delete next.selectorAgentId;
  else if (patch.selectorAgentId) next.selectorAgentId = patch.selectorAgentId;
  if (patch.mentionFallback === null) delete next.mentionFallback;
  else if (patch.mentionFallback) next.mentionFallback = patch.mentionFallback;
  if (patch.concurrentInput === null) delete next.concurrentInput;
  else if (patch.concurrentInput) next.concurrentInput = patch.concurrentInput;
  if (patch.retentionDays === null) delete next.retentionDays;
  else if (patch.retentionDays !== undefined) next.retentionDays = patch.retentionDays;
  if (patch.memory === null) delete next.memory;
  else if (patch.memory) next.memory = mergeKeys(current.memory ?? {}, patch.memory);
  return next;
}

/** A flat merge patch: given keys change, `null` drops one. */
function mergeKeys<T extends object>(current: T, patch: { [K in keyof T]?: T[K] | null }): T {
  const next: T = { ...current };
  for (const key of Object.keys(patch) as (keyof T)[]) {
    const value = patch[key];
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value as T[keyof T];
  }
  return next;
}

type Voting = NonNullable<GroupSettings["voting"]>;

function mergeVoting(current: Voting, patch: NonNullable<GroupSettingsPatch["voting"]>): Voting {
  const next: Voting = { ...current };
  if (patch.rule === null) delete next.rule;
  else if (patch.rule) next.rule = patch.rule;
  if (patch.threshold === null) delete next.threshold;
  else if (patch.threshold !== undefined) next.threshold = patch.threshold;
  if (patch.quorum === null) delete next.quorum;
  else if (patch.quorum) next.quorum = patch.quorum;
  if (patch.deadlineMs === null) delete next.deadlineMs;
  else if (patch.deadlineMs !== undefined) next.deadlineMs = patch.deadlineMs;
  // A threshold belongs to a supermajority: moving off it drops the stored one.
  if ((next.rule ?? "majority") !== "supermajority" && patch.threshold === undefined) delete next.threshold;
  return next;
}

/** What is wrong with settings a patch produced that the patch's own shape could not tell. */
export function patchedSettingsIssues(next: GroupSettings, patch: GroupSettingsPatch): FieldIssue[] {
  if (!patch.voting) return [];
  const message = thresholdIssue(next.voting?.rule ?? "majority", next.voting?.threshold);
  return message ? [{ path: "body.settings.voting.threshold", message }] : [];
}

/** The issue, if any, of a selector that is not among the group's seated agents. */
export function selectorIssue(
  selectorAgentId: string | null | undefined,
  seated: readonly string[],
  path: string,
  message = "must be an agent seated in this group",
): FieldIssue[] {
  return selectorAgentId && !seated.includes(selectorAgentId) ? [{ path, message }] : [];
}
