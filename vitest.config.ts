import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // As bin/tailwatch.js: V8's linear-time regexp engine, which rule regexes run on (src/filter/js-regex.ts
    // also turns it on before its first use), and the fallback to it on excessive backtracking.
    execArgv: ['--enable-experimental-regexp-engine', '--enable-experimental-regexp-engine-on-excessive-backtracks'],
    // As in bin/tailwatch.js: the pinned SDK's notice about its future releases is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
