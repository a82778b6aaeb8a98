import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { choiceIssues, type ProviderCatalog, type ProviderChoice } from "./catalog.js";
import { loadCatalog } from "./list-providers.js";

/** Checks agents' providers and models of one account; the catalog is read once, on first use. */
export type ProviderCheck = (choices: readonly ProviderChoice[]) => Promise<void>;

/**
 * A 422 naming each field whose provider or model no live executor serves for `accountId` (see
 * `choiceIssues`: nothing is refused while no executor has reported).
 */
export function providerCheck(ctx: EdgeContext, accountId: string): ProviderCheck {
  let catalog: Promise<ProviderCatalog> | undefined;
  return async (choices) => {
    if (choices.length === 0) return;
    catalog ??= loadCatalog(ctx, accountId);
    const issues = choiceIssues(await catalog, choices);
    if (issues.length > 0)
      throw new AppError("unprocessable", "no live executor serves this provider or model", {
        fields: issues,
      });
  };
}
