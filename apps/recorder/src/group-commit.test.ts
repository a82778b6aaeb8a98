import { describe, expect, it } from "vitest";
import { createGroupCommit } from "./group-commit.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("group commit", () => {
  it("commits what arrives during a commit together, and settles each caller with its own result", async () => {
    const commits: number[][] = [];
    const submit = createGroupCommit<number, number>({
      maxBatch: 10,
      commit: async (items) => {
        commits.push(items);
        await tick();
        return items.map((n) => n * 2);
      },
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map(submit));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    // The first goes alone (nothing else was waiting); the rest waited for it and went together.
    expect(commits).toEqual([[1], [2, 3, 4, 5]]);
  });

  it("never puts more than maxBatch in one commit", async () => {
    const sizes: number[] = [];
    const submit = createGroupCommit<number, number>({
      maxBatch: 3,
      commit: async (items) => {
        sizes.push(items.length);
        await tick();
        return items;
      },
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it("a failing item fails only itself: its batch is retried one by one", async () => {
    const submit = createGroupCommit<number, number>({
      maxBatch: 10,
      commit: async (items) => {
        await tick();
        if (items.includes(3)) throw new Error(`bad ${items.join(",")}`);
        return items;
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map(submit));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error("bad 3"));
  });
});
