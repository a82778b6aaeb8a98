import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { choiceIssues, type ProviderCatalog, type ProviderChoice } from "./catalog.js";
import { loadCatalog } from "./list-providers.js";

/** Checks agents' providers and models of one account; the catalog is read once, on first use. */
export type ProviderCheck = (choices: readonly ProviderChoice[]) => Promise<void>;

/**
 * A 422 naming each field whose provider or model no live executor serves for `accountId` (see
 * `choiceIssues`: nothing is refused while no executor has reported). While the bus cannot be read
 * nothing is known either: agents are still made (they live in the database), unchecked.
 */
export function providerCheck(ctx: EdgeContext, accountId: string): ProviderCheck {
  let catalog: Promise<ProviderCatalog | undefined> | undefined;
  return async (choices) => {
    if (choices.length === 0) return;
    catalog ??= loadCatalog(ctx, accountId).catch((e: unknown) => {
      if (!(e instanceof AppError && e.code === "unavailable")) throw e;
      ctx.log.warn({ err: e }, "agent providers not checked: the event bus cannot be read");
      return undefined;
    });
    const known = await catalog;
    if (!known) return;
    const issues = choiceIssues(known, choices);
    if (issues.length > 0)
      throw new AppError("unprocessable", "no live executor serves this provider or model", {
        fields: issues,
      });
  };
}
