// No lost events: events put while a session is forcibly down arrive
// exactly once after the reconnect (backfill + dedupe both ways); with backfill
// off they are missing, which shows the test can fail.
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleSet } from '../../src/model/config.js';
import type { EventSource } from '../../src/model/ports.js';
import { createLiveTailSource } from '../../src/livetail/index.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { capturingLogger, Collector, emulatorConfig, recordingMetrics } from '../kit/livetail.js';
import { rule } from '../kit/rules.js';
import { SteppedClock } from '../kit/stepped-clock.js';
import { until } from '../kit/until.js';

let emu: StartedEmulator | undefined;
let source: EventSource | undefined;
afterEach(async () => {
  await source?.stop();
  await emu?.close();
  source = undefined;
  emu = undefined;
});

const GROUP = '/ecs/payments';
const ruleSet: RuleSet = { rules: [rule({ id: 'pay', logGroups: [GROUP], filterPattern: '?gap ?before ?after ?race' })], files: [] };

async function scenario(opts: { backfill: boolean; raceDuringBackfill?: boolean; ingestionDelayMs?: number }) {
  emu = await startEmulator({ updateIntervalMs: 50, ingestionDelayMs: opts.ingestionDelayMs ?? 0 });
  const e = emu.emulator;
  e.ingest([{ logGroup: GROUP, logStream: 'api-1', timestamp: Date.now() - 60_000, message: 'seed' }]);
  // FilterLogEvents is asked for the gap's tail this long after the new start (above the emulator's ingestion delay).
  const config = emulatorConfig(emu.endpoint, { backfill: opts.backfill, ...(opts.ingestionDelayMs ? { completionDelayMs: opts.ingestionDelayMs + 200 } : {}) });
  const got = new Collector();
  const metrics = recordingMetrics();
  const { logger, lines } = capturingLogger();
  source = createLiveTailSource({ onEvents: got.handler, config, logger, metrics, env: {} });
  const put = (stream: string, ...messages: string[]) => e.ingest(messages.map((message) => ({ logGroup: GROUP, logStream: stream, timestamp: Date.now(), message })));

  await source.apply(ruleSet, config);
  await until(() => source!.health().ready, 5_000, 'ready');
  put('api-1', 'before 1', 'before 2', 'before 3');
  await until(() => got.events.length === 3, 5_000, 'the events before the gap');

  // Forcibly down: the connection drops and every restart is refused until cleared.
  e.injectFault({ type: 'refuse', error: 'LimitExceededException' });
  e.injectFault({ type: 'drop' });
  await until(() => metrics.rec.restarts.length >= 2, 5_000, 'refused restarts');
  const gap = Array.from({ length: 60 }, (_, i) => `gap ${i}`);
  put('api-1', ...gap.slice(0, 30));
  put('api-2', ...gap.slice(30));
  put('api-1', 'noise that the pattern drops');
  await new Promise((r) => setTimeout(r, 100));

  const cleared = performance.now();
  e.injectFault({ type: 'clear' });
  // Slow the backfill down so that an event can reach both the new stream and the backfill.
  if (opts.raceDuringBackfill) e.injectFault({ type: 'refuse', error: 'ThrottlingException', operation: 'FilterLogEvents', forMs: 600 });
  await until(() => metrics.rec.started.length === 2, 5_000, 'reconnected');
  if (opts.raceDuringBackfill) e.ingest([{ logGroup: GROUP, logStream: 'api-1', timestamp: Date.now() - 1_000, message: 'race' }]);
  if (opts.backfill) await until(() => metrics.rec.backfilled.length === 1, 8_000, 'backfilled');
  const recovered = performance.now() - cleared;
  put('api-1', 'after 1');
  await until(() => got.messages().includes('after 1'), 8_000, 'the event after the gap');
  return { got, metrics, lines, gap, recovered };
}

function counts(messages: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of messages) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

describe('gap backfill', () => {
  it('delivers every event of the gap exactly once, in timestamp order, before the new stream', async () => {
    const { got, metrics, gap, recovered } = await scenario({ backfill: true });
    const c = counts(got.messages());
    for (const m of ['before 1', 'before 2', 'before 3', ...gap, 'after 1']) expect(c.get(m), m).toBe(1);
    expect(got.events).toHaveLength(3 + gap.length + 1);
    expect(got.messages()).not.toContain('noise that the pattern drops');
    // The backfill overlapped the events the stream had delivered (5 s) and dropped them.
    expect(metrics.rec.backfilled).toEqual([{ session: metrics.rec.started[0], events: gap.length }]);
    const backfilled = got.events.slice(3, 3 + gap.length);
    expect(backfilled.map((e) => e.timestamp)).toEqual([...backfilled.map((e) => e.timestamp)].sort((a, b) => a - b));
    expect(new Set(backfilled.map((e) => e.logStream))).toEqual(new Set(['api-1', 'api-2']));
    expect(backfilled.every((e) => e.logGroup === GROUP)).toBe(true);
    expect(got.messages().at(-1)).toBe('after 1');
    console.log(`reconnect + backfill of ${gap.length} events: ${recovered.toFixed(0)} ms after the refusals ended`);
  });

  it('an event both the new stream and the backfill return is delivered once', async () => {
    const { got, metrics, lines, gap } = await scenario({ backfill: true, raceDuringBackfill: true });
    const c = counts(got.messages());
    expect(c.get('race')).toBe(1);
    for (const [m, n] of c) expect(n, m).toBe(1);
    // The race happened: the backfill returned and delivered "race" (the gap's 60 events + it) …
    expect(metrics.rec.backfilled).toEqual([{ session: metrics.rec.started[0], events: gap.length + 1 }]);
    const done = lines.filter((l) => l['msg'] === 'gap backfilled');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ events: gap.length + 1 });
    // … having dropped what the old stream had delivered (the 5 s overlap) …
    expect(done[0]!['duplicates'] as number).toBeGreaterThanOrEqual(1);
    // … and the new stream sent it too: its only events are "race" and "after 1".
    const live = emu!.emulator.sessions();
    expect(live).toHaveLength(1);
    expect(live[0]!.eventsSent).toBe(2);
  });

  it('waits for the ingestion delay before fetching the gap\'s tail, holding the watermark meanwhile', async () => {
    // FilterLogEvents sees an event only 1 s after its ingestion; the gap's events were put ~0.1–0.3 s
    // before the new session started: fetched at once, they would be missing (and lost for good).
    const { got, metrics, gap } = await scenario({ backfill: true, ingestionDelayMs: 1_000 });
    const c = counts(got.messages());
    for (const m of [...gap, 'after 1']) expect(c.get(m), m).toBe(1);
    expect(metrics.rec.backfilled).toEqual([{ session: metrics.rec.started[0], events: gap.length }]);
    // No batch said the gap was covered before its events came.
    const firstGapBatch = got.batches.findIndex((b) => b.events.some((e) => e.message === 'gap 0'));
    const oldestGapEvent = Math.min(...got.events.filter((e) => e.message.startsWith('gap ')).map((e) => e.timestamp));
    for (const b of got.batches.slice(0, firstGapBatch)) expect(b.watermark ?? -Infinity).toBeLessThan(oldestGapEvent);
    expect(got.batches.some((b) => b.lost !== undefined)).toBe(false);
  });

  it('with backfill off the events of the gap are missing', async () => {
    const { got, metrics, gap } = await scenario({ backfill: false });
    const c = counts(got.messages());
    for (const m of gap) expect(c.get(m), m).toBeUndefined();
    expect(c.get('after 1')).toBe(1);
    expect(metrics.rec.backfilled).toEqual([]);
    // …and the engine is told so: its rules skip the gap instead of deciding on it.
    expect(got.batches.some((b) => b.lost !== undefined)).toBe(true);
  });
});

describe('the gap\'s tail, on a stepped clock', () => {
  it('is fetched completionDelayMs after the new start, the older part at once; the watermark holds until the tail is in', async () => {
    const clock = new SteppedClock(Math.floor(Date.now() / 1000) * 1000);
    const T0 = clock.now();
    // FilterLogEvents sees an event 2 s after its ingestion (the emulator's clock is the test's).
    emu = await startEmulator({ clock: () => clock.now(), updateIntervalMs: 50, ingestionDelayMs: 2_000 });
    const e = emu.emulator;
    const put = (ts: number, message: string) => e.ingest([{ logGroup: GROUP, logStream: 'api-1', timestamp: ts, message }]);
    put(T0 - 60_000, 'seed');
    const config = emulatorConfig(emu.endpoint, { completionDelayMs: 3_000, graceMs: 1_000, stallAfterMs: 600_000 });
    const got = new Collector();
    const metrics = recordingMetrics();
    const startedAt: number[] = [];
    const observed = { ...metrics, sessionStarted: (s: string) => (startedAt.push(clock.now()), metrics.sessionStarted(s)) };
    source = createLiveTailSource({ onEvents: got.handler, config, logger: capturingLogger().logger, metrics: observed, env: {}, timers: clock, random: () => 0 });
    await source.apply(ruleSet, config);
    await until(() => source!.health().ready, 5_000, 'ready');
    put(T0, 'before');
    await until(() => got.messages().includes('before'), 5_000, 'the event before the gap');

    // Down for 20 s of the clock: refused restarts (each backoff waits on the clock).
    e.injectFault({ type: 'refuse', error: 'LimitExceededException' });
    e.injectFault({ type: 'drop' });
    await until(() => metrics.rec.restarts.length >= 1, 5_000, 'the dropped stream');
    await clock.advance(10_000);
    put(T0 + 10_000, 'gap old'); // visible to FilterLogEvents from T0+12 s
    await clock.advance(10_000);
    put(T0 + 20_000, 'gap tail'); // visible from T0+22 s; ingested before the new start: not in its stream
    e.injectFault({ type: 'clear' });
    await clock.runWhile(until(() => metrics.rec.started.length === 2, 5_000, 'reconnected'));
    const S = startedAt[1]!; // the new start, on the clock
    const calls = (): number => e.stats().calls['FilterLogEvents'] ?? 0;

    // The older part [… , S − 4 s) at once; the tail [S − 4 s, S] not before S + 3 s.
    await until(() => got.messages().includes('gap old'), 5_000, 'the older part of the gap');
    const afterOlder = calls();
    await clock.advanceTo(S + 2_999);
    await new Promise((r) => setTimeout(r, 100));
    expect(calls()).toBe(afterOlder);
    expect(got.messages()).not.toContain('gap tail');
    expect(Math.max(...got.batches.map((b) => b.watermark ?? -Infinity))).toBeLessThan(T0 + 10_000);
    await clock.advanceTo(S + 3_000);
    await until(() => got.messages().includes('gap tail'), 5_000, 'the gap\'s tail');
    expect(calls()).toBeGreaterThan(afterOlder);
    const tailAt = got.batches.findIndex((b) => b.events.some((ev) => ev.message === 'gap tail'));
    for (const b of got.batches.slice(0, tailAt)) expect(b.watermark ?? -Infinity).toBeLessThan(T0 + 10_000);

    // Then the stream moves the watermark past the gap again.
    put(clock.now(), 'after');
    await until(() => got.messages().includes('after'), 5_000, 'the event after the gap');
    expect(got.batches.at(-1)!.watermark!).toBeGreaterThan(T0 + 20_000);
    expect(got.messages().filter((m) => m !== 'after').sort()).toEqual(['before', 'gap old', 'gap tail']);
    expect(metrics.rec.backfilled).toEqual([{ session: metrics.rec.started[0], events: 2 }]);
  });
});

describe('no lost events across rotations', () => {
  it('a steady stream of events through several rotations arrives complete and without duplicates', async () => {
    emu = await startEmulator({ updateIntervalMs: 50 });
    const e = emu.emulator;
    e.ingest([{ logGroup: GROUP, logStream: 'api-1', timestamp: Date.now() - 60_000, message: 'seed' }]);
    const config = emulatorConfig(emu.endpoint, { rotateAfterMs: 250 });
    const got = new Collector();
    const metrics = recordingMetrics();
    source = createLiveTailSource({ onEvents: got.handler, config, logger: capturingLogger().logger, metrics, env: {} });
    await source.apply(ruleSet, config);
    await until(() => source!.health().ready, 5_000, 'ready');
    const sent: string[] = [];
    for (let i = 0; i < 60; i++) {
      const m = `gap steady ${i}`;
      sent.push(m);
      e.ingest([{ logGroup: GROUP, logStream: 'api-1', timestamp: Date.now(), message: m }]);
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => metrics.rec.restarts.filter((r) => r.reason === 'rotation').length >= 3, 5_000, 'three rotations');
    await until(() => sent.every((m) => got.messages().includes(m)), 8_000, 'every event');
    await new Promise((r) => setTimeout(r, 300));
    const c = counts(got.messages());
    for (const m of sent) expect(c.get(m), m).toBe(1);
    expect(metrics.rec.backfilled.length).toBeGreaterThanOrEqual(3);
  });
});
