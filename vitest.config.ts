import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Same regexp safety net as bin/tailwatch.js: linear-time fallback on excessive backtracking.
    execArgv: ['--enable-experimental-regexp-engine-on-excessive-backtracks'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
