import { z } from "zod";

/** Frames a client sends. */
export const ClientFrame = z.discriminatedUnion("type", [
  /** Authenticates the socket (browsers cannot set headers on a WebSocket). Never logged. */
  z.strictObject({ type: z.literal("auth"), token: z.string().min(1).max(4096) }),
  z.strictObject({
    type: z.literal("subscribe"),
    groupId: z.uuid("must be a UUID"),
    /** Resume after this stream seq (the last one seen); absent: only new events. */
    afterSeq: z.number().int().min(0).optional(),
  }),
  z.strictObject({ type: z.literal("unsubscribe"), groupId: z.uuid("must be a UUID") }),
  z.strictObject({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Close codes, beside the standard ones. */
export const CLOSE = {
  /** The client did not keep up: more than the allowed bytes were waiting for it. */
  slowConsumer: 4008,
  /** The client sent something that is not a valid frame, too often. */
  protocolError: 4400,
  /** No valid credential: none in time, a bad one, or one that stopped being valid. */
  unauthorized: 4401,
  /** The server is shutting down; reconnect with your last seq. */
  goingAway: 1001,
} as const;
