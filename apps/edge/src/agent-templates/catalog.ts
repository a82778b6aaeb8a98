import { composeDraft, type DraftAgent, type DraftRequest } from "./compose-draft.js";
import { INDUSTRIES, ROLE_IDS, ROLES } from "./presets.js";

/** A ready-made agent: one of the roles, in general or in an industry. */
export interface AgentTemplate {
  id: string;
  name: string;
  description: string;
  industry: DraftRequest["industry"];
  role: DraftRequest["role"];
  tone: NonNullable<DraftRequest["tone"]>;
  /** Rules the template adds to its industry's. */
  rules: string[];
  agent: DraftAgent;
}

const template = (
  id: string,
  request: Required<Pick<DraftRequest, "industry" | "role">> & DraftRequest,
): AgentTemplate => {
  const agent = composeDraft(request);
  const tone = request.tone ?? ROLES[request.role].tone;
  return {
    id,
    name:
      request.industry === "general"
        ? ROLES[request.role].label
        : `${ROLES[request.role].label} (${INDUSTRIES[request.industry].label})`,
    description: agent.description,
    industry: request.industry,
    role: request.role,
    tone,
    rules: [...(request.rules ?? [])],
    agent,
  };
};

/** Every role in general, then industry variants people reach for first. */
export const TEMPLATES: readonly AgentTemplate[] = [
  ...ROLE_IDS.map((role) => template(role.replaceAll("_", "-"), { industry: "general", role })),
  template("saas-support", { industry: "saas", role: "support" }),
  template("ecommerce-support", { industry: "ecommerce", role: "support", tone: "friendly" }),
  template("saas-sales", { industry: "saas", role: "sales" }),
  template("contract-review", {
    industry: "legal",
    role: "legal_review",
    rules: ["Check term, termination, liability caps, indemnities, governing law and data protection."],
  }),
  template("finance-analyst", { industry: "finance", role: "data_analyst" }),
  template("healthcare-support", { industry: "healthcare", role: "support" }),
  template("tutor", { industry: "education", role: "writer", tone: "empathetic", name: "Tutor" }),
];
