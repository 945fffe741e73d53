import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests: they spawn child processes (bin/tailwatch.js, grep,
 * alertmanager, npm pack), run the emulator over HTTP, or read a process's
 * memory. `npm run test:e2e` runs them alone, `npm run test:unit` the rest
 * (seconds), `npm test` both. A new end-to-end file is named `*.e2e.test.ts`
 * or listed here. `npm run test:unit` runs the projects `unit` and `unit-isolated`.
 */
const E2E = [
  'test/**/*.e2e.test.ts',
  // child processes
  'test/cli/completion.test.ts',
  'test/cli/emulate-config.test.ts',
  'test/cli/hostile-files.test.ts',
  'test/cli/hostile-regex.test.ts',
  'test/cli/plan-tail.test.ts',
  'test/cli/readme-emulator.test.ts',
  'test/daemon/adaptive.test.ts',
  'test/daemon/completion.test.ts',
  'test/daemon/console-stream.test.ts',
  'test/daemon/demo.test.ts',
  'test/daemon/differential.test.ts',
  'test/daemon/full-disk.test.ts',
  'test/daemon/ha-cluster.test.ts',
  'test/daemon/ha-deploy.test.ts',
  'test/daemon/infra.test.ts',
  'test/daemon/live-replay.test.ts',
  'test/daemon/polled.test.ts',
  'test/daemon/run.test.ts',
  'test/daemon/shutdown.test.ts',
  'test/daemon/unhealthy-groups.test.ts',
  'test/docs/docs.test.ts',
  'test/grep/grep.test.ts',
  'test/grep/parallel.test.ts',
  'test/notify/alertmanager.test.ts',
  'test/notify/cli.test.ts',
  'test/notify/durability.test.ts',
  'test/package/pack.test.ts',
  // the emulator over HTTP
  'test/cli/doctor.test.ts',
  'test/cli/iam-policy.test.ts',
  'test/cli/put.test.ts',
  'test/emulator/**/*.test.ts',
  'test/livetail/adaptive-source.test.ts',
  'test/livetail/adaptive.test.ts',
  'test/livetail/backfill.test.ts',
  'test/livetail/planner.test.ts',
  'test/livetail/poll-budget.test.ts',
  'test/livetail/poll.test.ts',
  'test/livetail/service-faults.test.ts',
  'test/livetail/source.test.ts',
];

/**
 * Unit files that replace a module with `vi.mock`: they need a module graph of their own. The
 * other unit files share one per worker (`isolate: false`): starting a fresh one per file cost
 * more than the tests themselves (37 s against 18 s for the unit project on 2 cores).
 */
const MOCKS_MODULES = ['test/cli/hostile-rule-errors.test.ts', 'test/daemon/hostile-rule-errors.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    // As bin/tailwatch.js: V8's linear-time regexp engine, which rule regexes run on (src/filter/js-regex.ts
    // also turns it on before its first use), and the fallback to it on excessive backtracking.
    execArgv: ['--enable-experimental-regexp-engine', '--enable-experimental-regexp-engine-on-excessive-backtracks'],
    // As in bin/tailwatch.js: the pinned SDK's notice about its future releases is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...E2E, ...MOCKS_MODULES], isolate: false } },
      { extends: true, test: { name: 'unit-isolated', include: MOCKS_MODULES } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
