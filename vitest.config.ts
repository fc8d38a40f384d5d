// Test runner configuration: every *.test.ts under test/, run in forked workers (the interpreter is CPU-bound).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
