import { z } from "zod";
import { Id } from "./common.js";
import { text } from "./text.js";

/** `message.posted`: a person or program posted a message to a group; it opens turn `turnId`. */
export const MESSAGE_POSTED = "message.posted";
export const MessagePosted = z.object({
  messageId: Id,
  /** What a person posted: never a NUL, which the history could not store. */
  content: text().min(1).max(32_000),
});
export type MessagePosted = z.infer<typeof MessagePosted>;
