// The adaptive strategy in the Live Tail source against the emulator (real SDK, real sessions):
// a rate that hovers around Live Tail's cap splits the shared session once and never flaps;
// once the traffic is well under the cap for long, the parts merge back; a split that does not
// fit the quota is logged and nothing changes. Small windows (20 updates, split above 6, merge
// after 100 quiet updates) and the emulator's cap at 20 events an update keep it short.
import { afterEach, describe, expect, it } from 'vitest';
import type { Rule, RuleSet } from '../../src/model/config.js';
import { createLiveTailSource, type AdaptiveThresholds, type PlanStateFile } from '../../src/livetail/index.js';
import type { EventSource } from '../../src/model/ports.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { capturingLogger, Collector, emulatorConfig, recordingMetrics } from '../kit/livetail.js';
import { until } from '../kit/until.js';
import { rule } from '../kit/rules.js';

let emu: StartedEmulator | undefined;
let source: EventSource | undefined;
let feeder: NodeJS.Timeout | undefined;

afterEach(async () => {
  clearInterval(feeder);
  feeder = undefined;
  await source?.stop();
  source = undefined;
  await emu?.close();
  emu = undefined;
});

const rules = (...rs: Rule[]): RuleSet => ({ rules: rs, files: [] });
const SMALL: AdaptiveThresholds = { window: 20, splitAbove: 6, quietUpdates: 100, mergeBelowShare: 0.5 };
const ARN = (g: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${g}`;

async function setup(opts: { maxConcurrent?: number; groups: string[] }) {
  emu = await startEmulator({ updateIntervalMs: 50, maxEventsPerUpdate: 20 });
  const e = emu.emulator;
  for (const g of opts.groups) e.ingest([{ logGroup: g, logStream: 's', timestamp: Date.now() - 60_000, message: 'seed' }]);
  const config = emulatorConfig(emu.endpoint, { strategy: 'adaptive', ...(opts.maxConcurrent ? { maxConcurrent: opts.maxConcurrent } : {}) });
  const { logger, lines } = capturingLogger();
  const saved: PlanStateFile[] = [];
  const got = new Collector();
  const metrics = recordingMetrics();
  source = createLiveTailSource({ onEvents: got.handler, config, logger, metrics, env: {}, adaptive: SMALL, planState: { load: () => undefined, save: (s) => void saved.push(s) } });
  let n = 0;
  /** `perTick(group)` lines every 50 ms: each group's lines carry its word. */
  const feed = (perTick: (group: string, tick: number) => number, word: (group: string) => string) => {
    clearInterval(feeder);
    let tick = 0;
    feeder = setInterval(() => {
      const now = Date.now();
      tick++;
      for (const g of opts.groups) {
        const k = perTick(g, tick);
        if (k > 0) e.ingest(Array.from({ length: k }, (_, i) => ({ logGroup: g, logStream: 's', timestamp: now, message: `${word(g)} line ${n++} ${i}` })));
      }
    }, 50);
  };
  const msgs = (prefix: string) => lines.filter((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith(prefix));
  return { e, config, lines, saved, feed, msgs, started: metrics.rec.started };
}

describe('adaptive sessions against the emulator', () => {
  it('a rate hovering around the cap splits the shared session once, never flaps; quiet for long, the parts merge back', async () => {
    const h = await setup({ groups: ['/a', '/b'] });
    const rs = rules(rule({ id: 'a-errors', logGroups: ['/a'], filterPattern: 'ERROR' }), rule({ id: 'b-warnings', logGroups: ['/b'], filterPattern: 'WARN' }));
    await source!.apply(rs, h.config);
    await h.e.waitForActiveSessions(1);
    expect(h.e.sessions().map((s) => s.request)).toEqual([{ logGroupIdentifiers: [ARN('/a'), ARN('/b')], logEventFilterPattern: '?ERROR ?WARN' }]);
    // Each group's matching lines hover around half the cap: together around the cap.
    const word = (g: string) => (g === '/a' ? 'ERROR' : 'WARN');
    h.feed((g, t) => 10 + Math.round(4 * Math.sin(t * (g === '/a' ? 0.7 : 1.3))), word);
    await until(() => h.msgs('session split').length > 0, 20_000, 'the split');
    const split = h.msgs('session split')[0]!;
    expect(split['msg']).toMatch(/^session split: sampled in \d+ of \d+ updates$/);
    expect(split['reason']).toBe((split['msg'] as string).slice('session split: '.length));
    await until(() => h.e.sessions().length === 2 && h.e.sessions().every((s) => s.request.logGroupIdentifiers.length === 1), 5_000, 'two sessions of their own patterns');
    expect(h.e.sessions().map((s) => s.request).sort((x, y) => x.logGroupIdentifiers[0]!.localeCompare(y.logGroupIdentifiers[0]!))).toEqual([
      { logGroupIdentifiers: [ARN('/a')], logEventFilterPattern: 'ERROR' },
      { logGroupIdentifiers: [ARN('/b')], logEventFilterPattern: 'WARN' },
    ]);
    // Hover on for well over the quiet period: no merge, no second split (the parts may restart, say
    // on a stall on this busy machine, but no other session starts).
    const parts = split['into'] as string[];
    const startsAfterSplit = h.started.length;
    const updatesNow = () => Math.min(...h.e.sessions().map((s) => s.updatesSent));
    await until(() => updatesNow() >= 2.5 * SMALL.quietUpdates, 60_000, `${2.5 * SMALL.quietUpdates} updates of the parts`);
    expect(h.msgs('sessions merged')).toEqual([]);
    expect(h.msgs('session split')).toHaveLength(1);
    expect(h.started.slice(startsAfterSplit).filter((id) => !parts.includes(id))).toEqual([]);
    // The decision was saved, with the sessions' observed rates.
    const last = h.saved.at(-1)!;
    expect(last.splits).toEqual([expect.objectContaining({ active: true, merges: 0, cap: 20, logGroups: [ARN('/a'), ARN('/b')] })]);
    expect(last.sessions).toHaveLength(2);
    for (const s of last.sessions) expect(s.eventsPerUpdate).toBeGreaterThan(2);
    // Well under the cap: after 100 quiet updates of each part they merge back into one session.
    h.feed(() => 1, word);
    await until(() => h.msgs('sessions merged').length > 0, 60_000, 'the merge');
    expect(h.msgs('sessions merged')[0]!['msg']).toMatch(/^sessions merged: sampled in 0 of the last 100 updates of each part; at most \d+ events an update together \(cap 20\)$/);
    await until(() => h.e.sessions().length === 1 && h.e.sessions()[0]!.request.logGroupIdentifiers.length === 2, 5_000, 'one shared session again');
    expect(h.saved.at(-1)!.splits).toEqual([expect.objectContaining({ active: false, merges: 1 })]);
  }, 150_000);

  it('a split the quota has no room for is logged once and changes nothing', async () => {
    const h = await setup({ maxConcurrent: 1, groups: ['/a', '/b'] });
    await source!.apply(rules(rule({ id: 'a-errors', logGroups: ['/a'], filterPattern: 'ERROR' }), rule({ id: 'b-warnings', logGroups: ['/b'], filterPattern: 'WARN' })), h.config);
    await h.e.waitForActiveSessions(1);
    h.feed(() => 30, (g) => (g === '/a' ? 'ERROR' : 'WARN'));
    await until(() => h.msgs('session not split').length > 0, 20_000, 'the refusal');
    const shared = h.e.sessions()[0]!.request;
    await until(() => h.e.sessions()[0]!.updatesSent >= 3 * SMALL.window, 20_000, 'more updates');
    expect(h.msgs('session not split')).toHaveLength(1);
    expect(h.msgs('session not split')[0]!['msg']).toMatch(/^session not split: sampled in \d+ of \d+ updates; no room under sessions\.maxConcurrent \(1\) in us-east-1$/);
    expect(h.msgs('session split')).toEqual([]);
    expect(new Set(h.started)).toHaveLength(1);
    expect(h.e.sessions().map((s) => s.request)).toEqual([shared]);
  }, 60_000);
});
