import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn child processes, servers and pty pairs; two cores do not like many in parallel.
    maxWorkers: 2,
    reporters: ["default", "./test/helpers/plain-summary-reporter.ts"],
  },
});
