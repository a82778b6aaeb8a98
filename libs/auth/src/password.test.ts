import { describe, expect, it } from "vitest";
import { ARGON2_PARAMS, hashPassword, verifyPassword } from "./password.js";

describe("passwords", () => {
  it("hash with argon2id at or above OWASP's minimum (m=19 MiB, t=2, p=1)", async () => {
    const hash = await hashPassword("correct horse battery staple");
    const m = hash.match(/^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/);
    expect(m).not.toBeNull();
    const [memory, time, parallelism] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
    expect(memory).toBeGreaterThanOrEqual(19_456);
    expect(time).toBeGreaterThanOrEqual(2);
    expect(parallelism).toBeGreaterThanOrEqual(1);
    expect(ARGON2_PARAMS).toMatchObject({ memoryCost: memory, timeCost: time, parallelism });
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("verifies the right password only, and answers false (not an error) without a hash", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(await verifyPassword(hash, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(hash, "wrong")).toBe(false);
    expect(await verifyPassword(undefined, "anything")).toBe(false);
    expect(await verifyPassword("not a hash", "anything")).toBe(false);
  });
});
