import { AppError } from "@conclave/errors";
import type { CompletionRequest } from "./provider.js";

/** The model to ask for: the request's, else the agent's, else the adapter's default. */
export function resolveModel(provider: string, request: CompletionRequest, defaultModel?: string): string {
  const model = request.model || request.agent.model || defaultModel;
  if (!model) throw new AppError("permanent", `${provider}: no model named for agent ${request.agent.name}`);
  return model;
}

/** The system prompt: the request's, else the agent's; empty means none. */
export function resolveSystem(request: CompletionRequest): string {
  return request.system ?? request.agent.systemPrompt;
}
