/**
 * The FilterLogEvents budget under polls: 50 polled rules on 20 log groups at
 * `poll: 30s` — one LiveTailSource against the emulator (real SDK over HTTP),
 * on a clock that runs 5× faster than the wall clock (the source's timers,
 * its budget and the emulator's clock alike), so two poll intervals take 12 s. The rules share 20 polls (one per log group); their calls stay within
 * `aws.filterLogEventsPerSecond: 5` (even the first round, all 20 polls due at
 * once), and every rule alerts (its events through the LiveEngine).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleSet } from '../../src/model/config.js';
import type { RoutedAlert } from '../../src/model/alert.js';
import { LiveEngine } from '../../src/engine/live.js';
import { realTimers, sleepOn, type Timers } from '../../src/time.js';
import { LiveTailSource } from '../../src/livetail/source.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { capturingLogger, emulatorConfig } from '../kit/livetail.js';
import { until } from '../kit/until.js';
import { rule } from '../kit/rules.js';

const SPEED = 5;
const RATE = 5;

let emu: StartedEmulator | undefined;
let source: LiveTailSource | undefined;
afterEach(async () => {
  await source?.stop();
  await emu?.close();
});

function fastTimers(): Timers {
  const r0 = Date.now();
  const t0 = Date.UTC(2026, 11, 6, 12, 0, 0);
  const timers: Timers = {
    now: () => t0 + (Date.now() - r0) * SPEED,
    setTimeout: (fn, ms, opts) => realTimers.setTimeout(fn, ms / SPEED, opts),
    clearTimeout: (handle) => realTimers.clearTimeout(handle),
    sleep: (ms, signal, opts) => sleepOn(timers, ms, signal, opts),
  };
  return timers;
}

describe('50 polled rules on 20 log groups at poll: 30s', () => {
  it('share 20 polls, stay within 5 FilterLogEvents calls a second, and all alert', { timeout: 30_000 }, async () => {
    const timers = fastTimers();
    emu = await startEmulator({ clock: timers.now, ingestionDelayMs: 2_000 });
    const group = (j: number): string => `/budget/g${j % 20}`;
    for (let g = 0; g < 20; g++) emu.emulator.ingest([{ logGroup: group(g), logStream: 'boot', timestamp: timers.now() - 600_000, message: 'boot' }]);
    const rules = Array.from({ length: 50 }, (_, j) => rule({ id: `r${String(j).padStart(2, '0')}`, logGroups: [group(j)], filterPattern: `"code-${j}:"`, feed: { poll: '30s', lag: '5s' } }));
    const ruleSet: RuleSet = { rules, files: [] };
    const engine = new LiveEngine({ rules: ruleSet });
    const alerts: RoutedAlert[] = [];
    const config = emulatorConfig(emu.endpoint, {}, { filterLogEventsPerSecond: RATE });
    // Calls, sampled on the fast clock from before the polls start.
    const samples: { at: number; calls: number }[] = [];
    const calls = (): number => emu!.emulator.stats().calls['FilterLogEvents'] ?? 0;
    const sampler = setInterval(() => samples.push({ at: timers.now(), calls: calls() }), 10);
    try {
      source = new LiveTailSource({ onEvents: (b) => alerts.push(...engine.receive(b)), config, logger: capturingLogger().logger, timers });
      await source.apply(ruleSet, config);
      expect(source.plan()!.sessions).toEqual([]);
      expect(source.plan()!.polls).toHaveLength(20);
      expect(source.plan()!.polls.reduce((s, p) => s + p.callsPerMinute, 0)).toBe(40);
      await until(() => calls() >= 20, 10_000, 'the first round of polls');
      // Every rule's line, a few seconds of fast time after the first round.
      for (let j = 0; j < 50; j++) emu.emulator.ingest([{ logGroup: group(j), logStream: 's', timestamp: timers.now(), message: `code-${j}: happened` }]);
      await until(() => new Set(alerts.map((a) => a.alert.rule.id)).size === 50, 15_000, 'an alert from every rule');
    } finally {
      clearInterval(sampler);
    }
    expect(new Set(alerts.map((a) => a.alert.rule.id)).size).toBe(50);
    expect(alerts.map((a) => `${a.alert.rule.id}:${a.alert.events.map((e) => e.message).join()}`).sort()).toEqual(rules.map((r, j) => `${r.id}:code-${j}: happened`));
    // Within the budget: over any stretch of W s at most RATE·W calls plus the bucket's burst (RATE).
    const first = samples[0]!;
    const all = samples;
    let worst = 0;
    for (let i = 0; i < all.length; i++) {
      for (let k = i + 1; k < all.length; k++) {
        const seconds = (all[k]!.at - all[i]!.at) / 1000;
        const n = all[k]!.calls - all[i]!.calls;
        worst = Math.max(worst, n - RATE * seconds);
      }
    }
    // Slack: calls reach the emulator up to ~100 ms (real) after the budget let them go, bunched
    // when the event loop is busy: half a fast second, RATE / 2 calls. Without the budget the
    // first round alone would be 15 over.
    expect(worst).toBeLessThanOrEqual(RATE * 1.5 + 1);
    // The first round of 20 calls, all due at once, needed (20 − 5) / 5 = 3 s of the budget.
    const round = all.find((s) => s.calls >= 20)!;
    expect(round.at - first.at).toBeGreaterThanOrEqual(2_800);
  });
});
