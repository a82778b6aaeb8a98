import { type Principal, requireScope } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { TEMPLATES } from "./catalog.js";
import { composeDraft } from "./compose-draft.js";
import { ROLES } from "./presets.js";
import type { WizardBody } from "./schemas.js";

/** Composes a draft agent from a template and/or industry, role, tone and rules; nothing is saved. */
export function draftAgent({
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: WizardBody;
}) {
  requireScope(principal, "read");
  const base = input.templateId ? TEMPLATES.find((t) => t.id === input.templateId) : undefined;
  const role = input.role ?? base?.role;
  if (!role)
    throw new AppError("validation", "give a role or a templateId", {
      fields: [{ path: "body.role", message: "required" }],
    });
  // A template's name and own rules belong to its role: another role starts from that role's.
  const sameRole = base?.role === role;
  const industry = input.industry ?? base?.industry ?? "general";
  const tone = input.tone ?? (sameRole ? base?.tone : undefined) ?? ROLES[role].tone;
  const rules = [...(sameRole ? (base?.rules ?? []) : []), ...input.rules];
  const name = input.name ?? (sameRole ? base?.agent.name : undefined);
  return {
    draft: composeDraft({ industry, role, tone, rules, name }),
    composedFrom: { templateId: base?.id ?? null, industry, role, tone, rules },
  };
}
