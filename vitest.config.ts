import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["{apps,libs,subjects}/**/src/**/*.test.ts", "tests/fault/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.int.test.ts", "**/*.chaos.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          // Pure tests first, then the ones that start processes.
          sequence: { groupOrder: 1 },
          include: [
            "{apps,libs,subjects}/**/src/**/*.int.test.ts",
            "tests/e2e/**/*.test.ts",
            "**/src/**/*.chaos.test.ts",
            // The fault suite: each file starts its own nats-server and PostgreSQL.
            "tests/fault/**/*.chaos.test.ts",
          ],
          exclude: ["**/node_modules/**"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file starts its own processes; two cores run two files at once at most.
          maxWorkers: 2,
        },
      },
    ],
  },
});
