import { z } from "zod";
import { Provider } from "./common.js";

/** One provider an executor can call with its own configuration, and the models it names for it. */
export const OfferedProvider = z.object({
  provider: Provider,
  /** The models the executor's configuration names for it; absent: it names none (any model may be asked for). */
  models: z.array(z.string().min(1).max(200)).max(200).optional(),
});
export type OfferedProvider = z.infer<typeof OfferedProvider>;

/**
 * What one live executor can serve (KV bucket `executors`, key = the executor's id), put again
 * every third of the bucket's age limit: an executor that dies stops renewing it, and the entry
 * ages out of the bucket.
 */
export const ExecutorOffer = z.object({
  v: z.literal(1),
  executorId: z.string().min(1).max(100),
  at: z.iso.datetime(),
  /** Served with the executor's own keys (or its fallbacks): `scripted` always. */
  providers: z.array(OfferedProvider).max(20),
  /** Providers an agent owner's own stored credential is used for here (needs the executor's database). */
  accountCredentials: z.array(Provider).max(20),
});
export type ExecutorOffer = z.infer<typeof ExecutorOffer>;

/** How long an offer lives in its bucket unless renewed (the provision step's default). */
export const EXECUTOR_OFFER_TTL_MS = 30_000;
