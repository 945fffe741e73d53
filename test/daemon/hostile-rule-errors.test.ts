/**
 * In `run`, a rule that throws on an event skips it alone: the other rules on the log group
 * still alert, the failure is counted in tailwatch_rule_errors_total{rule} and logged at most
 * once a minute per rule. (buildAlert is made to throw for one rule: no rule written in YAML
 * can make the engine throw any more, see test/engine/hostile-templates.test.ts.)
 */
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RoutedAlert } from '../../src/model/alert.js';
import type { LogEvent } from '../../src/model/event.js';
import { Daemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import type { EventsHandler } from '../../src/model/ports.js';
import { captureLog } from '../kit/log.js';
import { daemonProject } from '../kit/project.js';
import { SteppedClock } from '../kit/stepped-clock.js';

vi.mock('../../src/engine/alert-build.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/alert-build.js')>();
  return {
    ...real,
    buildAlert: (...args: Parameters<typeof real.buildAlert>) => {
      if (args[0].rule.id === 'bad') throw new TypeError('boom');
      return real.buildAlert(...args);
    },
  };
});

const daemons: RunningDaemon[] = [];
afterEach(async () => {
  while (daemons.length) await daemons.pop()!.stop();
});

describe('a rule that throws in the daemon', () => {
  it('costs the other rules nothing; counted per rule, logged once a minute', async () => {
    const dir = daemonProject('rules:\n  - id: bad\n    source: { logGroups: [/app] }\n  - id: every\n    source: { logGroups: [/app] }\n', { prefix: 'tw-rule-errors-', extra: 'server: { listen: "127.0.0.1:0" }\n' });
    const clock = new SteppedClock(Date.now());
    const now = clock.now();
    const log = captureLog('info');
    let onEvents: EventsHandler | undefined;
    const sent: RoutedAlert[] = [];
    const d = new Daemon({
      load: { configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir },
      logger: log.logger,
      timers: clock,
      createSource: (h) => {
        onEvents = h;
        return { apply: async () => {}, health: () => ({ ready: true, details: [], unhealthyRules: [] }), sourceIds: () => ['s'], stop: async () => {} };
      },
      createSink: () => ({ enqueue: (r) => void sent.push(r), enqueueMany: (rs) => void sent.push(...rs), depth: () => 0, start() {}, close: async () => {} }),
    });
    daemons.push(await d.start());
    const t0 = now - 60_000;
    const event = (i: number): LogEvent => ({ timestamp: t0 + i, logGroup: '/app', logStream: 's', message: `line ${i}` });
    const update = (events: LogEvent[]) => onEvents!({ source: 's', rules: ['bad', 'every'], events, watermark: events.at(-1)!.timestamp });

    update([event(1), event(2), event(3)]);
    expect(sent.map((r) => r.alert.rule.id)).toEqual(['every', 'every', 'every']);
    const failures = () => log.lines.filter((l) => l['msg'] === 'rule failed; it skipped this event or timer, the other rules got it');
    expect(failures()).toEqual([expect.objectContaining({ rule: 'bad', error: 'TypeError: boom' })]);

    await clock.advance(30_000);
    update([event(4)]);
    expect(failures()).toHaveLength(1);
    await clock.advance(31_000);
    update([event(5)]);
    expect(failures()).toHaveLength(2);
    expect(failures()[1]).toMatchObject({ rule: 'bad', notLogged: 3 });
    expect(sent).toHaveLength(5);

    const address = log.lines.find((l) => l['msg'] === 'status server listening')!['address'] as string;
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    expect(metrics).toMatch(/^tailwatch_rule_errors_total\{rule="bad"\} 5$/m);
    expect(metrics).toMatch(/^tailwatch_rule_errors_total\{rule="every"\} 0$/m);
  });
});
