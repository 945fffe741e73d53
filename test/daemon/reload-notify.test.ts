/**
 * What systemd hears around a reload (in-process, a recording notifier and a
 * stepped clock): RELOADING=1, then READY=1 whatever the outcome — applied,
 * rejected (a rule problem) or failed (the config cannot be read) — with a
 * status line that says which. The same through the real `systemd-notify`:
 * test/daemon/run.test.ts.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import type { ServiceNotifier } from '../../src/daemon/sd-notify.js';
import { captureLog } from '../kit/log.js';
import { daemonProject } from '../kit/project.js';
import { SteppedClock } from '../kit/stepped-clock.js';

const RULE = 'rules:\n  - id: r\n    source: { logGroups: [/app] }\n';

const daemons: RunningDaemon[] = [];
afterEach(async () => {
  while (daemons.length) await daemons.pop()!.stop();
});

async function started(apply: () => Promise<void> = async () => {}): Promise<{ running: RunningDaemon; heard: string[]; dir: string }> {
  const dir = daemonProject(RULE, { prefix: 'tw-reload-notify-' });
  const heard: string[] = [];
  const notifier: ServiceNotifier = {
    ready: async (status) => void heard.push(`READY=1 ${status}`),
    status: async (status) => void heard.push(`STATUS=${status}`),
    reloading: async () => void heard.push('RELOADING=1'),
    stopping: async () => void heard.push('STOPPING=1'),
    watchdog: async () => {},
  };
  const running = await new Daemon({
    load: { configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir },
    logger: captureLog('fatal').logger,
    notifier,
    timers: new SteppedClock(Date.now()),
    createSource: () => ({ apply, health: () => ({ ready: true, details: ['1 session'], unhealthyRules: [] }), sourceIds: () => ['s'], stop: async () => {} }),
    createSink: () => ({ enqueue() {}, enqueueMany() {}, depth: () => 0, start() {}, close: async () => {} }),
  }).start();
  daemons.push(running);
  return { running, heard, dir };
}

describe('a reload tells systemd it is ready again', () => {
  it('when applied', async () => {
    const { running, heard } = await started();
    expect(heard).toEqual(['READY=1 1 rules; 1 session']);
    expect(await running.reload('signal')).toBe(true);
    expect(heard.slice(1)).toEqual(['RELOADING=1', 'READY=1 1 rules; 1 session']);
  });

  it('when rejected: a rule has a problem', async () => {
    const { running, heard, dir } = await started();
    writeFileSync(path.join(dir, 'rules/r.yaml'), `${RULE}    notify: [nowhere]\n`);
    expect(await running.reload('signal')).toBe(false);
    expect(heard.slice(1)).toEqual(['RELOADING=1', 'READY=1 reload rejected, the running rules stay; 1 rules; 1 session']);
  });

  it('when failed: the config file cannot be read', async () => {
    const { running, heard, dir } = await started();
    renameSync(path.join(dir, 'tailwatch.yaml'), path.join(dir, 'tailwatch.yaml.bak'));
    mkdirSync(path.join(dir, 'tailwatch.yaml'));
    expect(await running.reload('watch')).toBe(false);
    expect(heard.slice(1)).toEqual(['RELOADING=1', 'READY=1 reload failed, the running rules stay; 1 rules; 1 session']);
  });

  it('when the sessions cannot be re-planned (the source throws): no rejection, and the next reload still runs', async () => {
    let applies = 0;
    const { running, heard } = await started(async () => {
      applies += 1;
      if (applies === 2) throw new Error('re-planning failed');
    });
    // A rejection here would be unhandled in the SIGHUP handler and end the process.
    expect(await running.reload('signal')).toBe(false);
    expect(heard.slice(1)).toEqual(['RELOADING=1', 'READY=1 reload failed, 1 rules; 1 session']);
    // Chained on the failed one, the next reload is not skipped.
    expect(await running.reload('signal')).toBe(true);
    expect(applies).toBe(3);
    expect(heard.slice(3)).toEqual(['RELOADING=1', 'READY=1 1 rules; 1 session']);
  });
});
