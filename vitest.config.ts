import { defineConfig } from "vitest/config";

// Three tiers (DESIGN.md §9): unit specs are pure; int and e2e specs talk to the real services that
// test/support/global-setup.ts starts (or reuses) and hands over through `inject("services")`.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["{src,agent,schemas,projections,test}/**/*.unit.spec.ts"] } },
      {
        test: {
          name: "int",
          include: ["{src,agent,schemas,projections}/**/*.int.spec.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.e2e.spec.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
