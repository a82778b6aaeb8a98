import argon2 from "argon2";

/** argon2id at OWASP's recommended minimum (m = 19 MiB, t = 2, p = 1). */
export const ARGON2_PARAMS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_PARAMS);
}

// Verified against when the account does not exist, so a miss costs what a hit costs.
let dummy: Promise<string> | undefined;

/** Checks a password against a stored hash, or against a dummy hash when there is none. */
export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  dummy ??= hashPassword("not a real password; only here to spend the same time");
  try {
    return await argon2.verify(hash ?? (await dummy), password);
  } catch {
    return false;
  }
}
