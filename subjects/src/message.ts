import { z } from "zod";
import { Id } from "./common.js";

/** `message.posted`: a person or program posted a message to a group; it opens turn `turnId`. */
export const MESSAGE_POSTED = "message.posted";
export const MessagePosted = z.object({
  messageId: Id,
  content: z.string().min(1).max(32_000),
});
export type MessagePosted = z.infer<typeof MessagePosted>;
