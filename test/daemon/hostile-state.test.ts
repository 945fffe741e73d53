/**
 * The state file of a daemon fed huge lines over many groupBy keys stays within its size bound
 * (here 1 MiB instead of 64 MiB), says so in the log, and restores.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/model/event.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { EventsHandler } from '../../src/model/ports.js';
import { captureLog } from '../kit/log.js';
import { daemonProject } from '../kit/project.js';
import { SteppedClock } from '../kit/stepped-clock.js';

function project(): string {
  return daemonProject('rules:\n  - id: by-user\n    source: { logGroups: [/app] }\n    window: { type: threshold, count: 1000, within: 1h, groupBy: [$.user] }\n', { prefix: 'tw-state-bound-' });
}

function daemon(dir: string, now: number) {
  const log = captureLog('info');
  let onEvents: EventsHandler | undefined;
  const d = new Daemon({
    load: { configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir },
    logger: log.logger,
    timers: new SteppedClock(now),
    stateMaxBytes: 1024 * 1024,
    createSource: (h) => {
      onEvents = h;
      return { apply: async () => {}, health: () => ({ ready: true, details: [], unhealthyRules: [] }), sourceIds: () => ['s'], stop: async () => {} };
    },
    createSink: () => ({ enqueue() {}, enqueueMany() {}, depth: () => 0, start() {}, close: async () => {} }),
  });
  return { d, log, onEvents: () => onEvents! };
}

describe('the daemon’s state file', () => {
  it('stays within its bound under 100 KB lines over many keys, logs it, and restores', async () => {
    const dir = project();
    const now = Date.now();
    const { d, log, onEvents } = daemon(dir, now);
    const running = await d.start();
    const t0 = now - 600_000;
    const pad = 'x'.repeat(100 * 1024);
    const events: LogEvent[] = Array.from({ length: 120 }, (_, i) => ({ timestamp: t0 + i, logGroup: '/app', logStream: 's', message: `{"user":"u${i % 40}","pad":"${pad}"}` }));
    for (let i = 0; i < events.length; i += 10) onEvents()({ source: 's', rules: ['by-user'], events: events.slice(i, i + 10), watermark: events[i + 9]!.timestamp });
    await running.stop(); // saves the state
    const file = path.join(dir, 'state/engine-state.json');
    expect(statSync(file).size).toBeLessThanOrEqual(1024 * 1024);
    const warnings = log.lines.filter((l) => String(l['msg']).startsWith('engine state over its size bound'));
    expect(warnings).toEqual([expect.objectContaining({ maxBytes: 1024 * 1024, overBound: false })]);
    expect(warnings[0]!['groupsWithoutSamples']).toBeGreaterThan(20);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { rules: { groups: { samples: unknown[] }[] }[] };
    expect(saved.rules[0]!.groups).toHaveLength(40);

    const again = daemon(dir, now);
    const runningAgain = await again.d.start();
    expect(again.log.lines.find((l) => l['msg'] === 'rules loaded')).toMatchObject({ restoredState: true });
    expect(again.log.lines.filter((l) => l['level'] === 50)).toEqual([]);
    await runningAgain.stop();
  });
});
