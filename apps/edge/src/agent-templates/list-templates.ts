import { type Principal, requireScope } from "@conclave/auth";
import type { EdgeContext } from "../context.js";
import { TEMPLATES } from "./catalog.js";
import { INDUSTRIES, INDUSTRY_IDS, ROLE_IDS, ROLES, TONE_IDS, TONES } from "./presets.js";
import type { TemplatesQuery } from "./schemas.js";

/** The template catalog, optionally narrowed to an industry or a role, with the wizard's choices. */
export function listTemplates({
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: TemplatesQuery;
}) {
  requireScope(principal, "read");
  return {
    items: TEMPLATES.filter(
      (t) => (!input.industry || t.industry === input.industry) && (!input.role || t.role === input.role),
    ),
    industries: INDUSTRY_IDS.map((id) => ({ id, label: INDUSTRIES[id].label })),
    roles: ROLE_IDS.map((id) => ({ id, label: ROLES[id].label })),
    tones: TONE_IDS.map((id) => ({ id, label: TONES[id] })),
  };
}
