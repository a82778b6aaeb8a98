import { PASSWORD_MAX, PASSWORD_MIN } from "@conclave/auth";
import { z } from "zod";

export const Credentials = z.strictObject({
  email: z
    .email("must be an email address")
    .max(254)
    .transform((e) => e.toLowerCase()),
  password: z.string().min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`).max(PASSWORD_MAX),
});
export type Credentials = z.infer<typeof Credentials>;

export const RefreshBody = z.strictObject({ refreshToken: z.string().min(20).max(200) });
