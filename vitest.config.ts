import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Same regexp safety net as bin/tailwatch.js: linear-time fallback on excessive backtracking.
    execArgv: ['--enable-experimental-regexp-engine-on-excessive-backtracks'],
    // As in bin/tailwatch.js: the pinned SDK's notice about its future releases is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
