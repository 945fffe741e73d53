import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DeliveryConfig, Destination } from '../../src/model/config.js';
import { createOutboxSink, retryDelay } from '../../src/notify/index.js';
import { HTTP_CONCURRENCY } from '../../src/notify/http.js';
import { sampleAlert } from '../kit/alerts.js';
import { captureLog } from '../kit/log.js';
import { receiversPerTest } from '../kit/receiver.js';
import { SteppedClock } from '../kit/stepped-clock.js';
import { until } from '../kit/until.js';

const { receiver, cleanups } = receiversPerTest();

const FAST: DeliveryConfig = { retryInitialMs: 50, retryMaxMs: 200, maxAgeMs: 60_000, timeoutMs: 1_000, maxQueued: 10_000 };

/**
 * A sink on a stepped clock: retries, pauses, housekeeping and close's deadline move only when the
 * test advances it; sends are real HTTP, waited for with `until`.
 */
function makeSink(destinations: Record<string, Destination>, over: Partial<DeliveryConfig> = {}, stateDir = mkdtempSync(path.join(os.tmpdir(), 'tw-sink-')), clock = new SteppedClock()) {
  const log = captureLog();
  const counts = { delivered: 0, failed: [] as string[], dropped: [] as string[] };
  const out = new PassThrough();
  let consoleText = '';
  out.on('data', (d) => (consoleText += d));
  const sink = createOutboxSink({
    stateDir,
    destinations,
    delivery: { ...FAST, ...over },
    logger: log.logger,
    consoleStream: out,
    timers: clock,
    metrics: { delivered: (_d, n) => (counts.delivered += n), failed: (_d, r) => counts.failed.push(r), dropped: (d, r) => counts.dropped.push(`${d}:${r}`) },
  });
  cleanups.push(() => clock.runWhile(sink.close(200)));
  return { sink, log, counts, clock, console: () => consoleText, stateDir };
}

describe('the retry policy', () => {
  it('starts at initial, doubles, is jittered within [step/2, step], caps at max, and lets Retry-After win when longer', () => {
    const p = { initialMs: 1_000, maxMs: 300_000 };
    expect([1, 2, 3, 4].map((a) => retryDelay(p, a, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3].map((a) => retryDelay(p, a, () => 0))).toEqual([500, 1_000, 2_000]);
    expect(retryDelay(p, 30, () => 1)).toBe(300_000);
    expect(retryDelay(p, 1, () => 0.5, 2_000)).toBe(2_000);
    expect(retryDelay(p, 12, () => 1, 2_000)).toBe(300_000);
  });
});

describe('the outbox sink', () => {
  it('delivers to a webhook and the console end to end, and is empty after', async () => {
    const rx = await receiver();
    const { sink, counts, console } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url + '/h', headers: {} }, stdout: { type: 'console', name: 'stdout' } });
    sink.start();
    const alerts = Array.from({ length: 20 }, () => sampleAlert());
    for (const a of alerts) sink.enqueue({ alert: a, destinations: ['hook', 'stdout'] });
    expect(sink.depth()).toBe(40);
    await until(() => sink.depth() === 0);
    expect(counts.delivered).toBe(40);
    expect(new Set(rx.requests.map((r) => r.headers['x-tailwatch-delivery']))).toEqual(new Set(alerts.map((a) => a.id)));
    expect(console().split('\n').filter((l) => l.startsWith('[FIRING] CRITICAL 20 5xx on payments for m-42'))).toHaveLength(20);
  });

  it('records an alert once per destination even when enqueued twice (the id is the key)', async () => {
    const rx = await receiver();
    const { sink, counts, clock } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } });
    const a = sampleAlert();
    sink.enqueue({ alert: a, destinations: ['hook'] });
    sink.enqueue({ alert: a, destinations: ['hook'] });
    expect(sink.depth()).toBe(1);
    sink.start();
    await until(() => counts.delivered === 1);
    sink.enqueue({ alert: a, destinations: ['hook'] });
    expect(sink.depth()).toBe(0);
    await clock.advance(60_000);
    expect(rx.requests).toHaveLength(1);
  });

  it('drops alerts older than maxAge with a log line and a metric', async () => {
    const rx = await receiver();
    rx.respond(() => ({ status: 503, body: 'down for maintenance' }));
    const { sink, counts, log, clock } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } }, { maxAgeMs: 700 });
    sink.start();
    const a = sampleAlert();
    const t0 = clock.now();
    sink.enqueue({ alert: a, destinations: ['hook'] });
    // Each failure recorded (no send in flight), the clock moves 50 ms: retries at 50, 100, 200, 200… ms.
    while (counts.dropped.length === 0) {
      await until(() => counts.failed.length === rx.requests.length && rx.requests.length > 0);
      await clock.advance(50);
    }
    expect(counts.dropped).toEqual(['hook:max-age']);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(700);
    expect(clock.now() - t0).toBeLessThanOrEqual(700 + 1_000 + 50); // housekeeping runs once a second
    expect(sink.depth()).toBe(0);
    expect(rx.requests.length).toBeGreaterThanOrEqual(3);
    const line = log.lines.find((l) => l['msg'] === 'alert dropped: older than delivery.maxAge');
    expect(line).toMatchObject({ alert: a.id, destination: 'hook', level: 40 });
    const n = rx.requests.length;
    await clock.advance(60_000);
    expect(rx.requests.length).toBe(n);
  });

  it('logs and counts an alert routed to an unknown destination', () => {
    const { sink, counts, log } = makeSink({});
    sink.enqueue({ alert: sampleAlert(), destinations: ['nope'] });
    expect(counts.dropped).toEqual(['nope:unknown-destination']);
    expect(log.lines.some((l) => l['msg'] === 'alert routed to an unknown destination; not delivered')).toBe(true);
  });

  it('close() delivers what is due within the deadline, is idempotent, and keeps the rest for the next start', async () => {
    const rx = await receiver();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sink-'));
    const dest: Record<string, Destination> = { hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } };
    const first = makeSink(dest, {}, dir);
    first.sink.start();
    for (let i = 0; i < 5; i++) first.sink.enqueue({ alert: sampleAlert(), destinations: ['hook'] });
    const p1 = first.sink.close(2_000);
    expect(first.sink.close(2_000)).toBe(p1);
    await first.clock.runWhile(p1);
    expect(rx.requests).toHaveLength(5);

    // a receiver that hangs: close gives up at the deadline, and the alert waits in the outbox
    rx.respond(() => ({ status: 200, delayMs: 5_000 }));
    // One clock across the three runs of the same outbox: time goes on between restarts.
    const second = makeSink(dest, {}, dir, first.clock);
    second.sink.start();
    const stuck = sampleAlert();
    second.sink.enqueue({ alert: stuck, destinations: ['hook'] });
    await until(() => rx.requests.length === 6);
    const t0 = second.clock.now();
    await second.clock.runWhile(second.sink.close(300));
    // Done at the deadline (plus at most 1 s for the aborted send to record itself), not at the receiver's pace (5 s).
    expect(second.clock.now() - t0).toBeLessThan(2_500);
    // Aborted at the deadline and not sent again (it was leased again at once, with a fresh timeout).
    expect(rx.requests.filter((r) => r.headers['x-tailwatch-delivery'] === stuck.id)).toHaveLength(1);
    rx.respond(() => ({ status: 200 }));
    const third = makeSink(dest, {}, dir, first.clock);
    expect(third.sink.depth()).toBe(1);
    third.sink.start();
    await until(() => third.counts.delivered === 1);
    expect(rx.requests.at(-1)!.headers['x-tailwatch-delivery']).toBe(stuck.id);
  });

  it('sends webhook alerts concurrently (not paced), bounded', async () => {
    const rx = await receiver();
    let open = 0;
    let peak = 0;
    rx.respond(() => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => open--, 100);
      return { status: 200, delayMs: 100 };
    });
    const { sink, counts } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } });
    sink.start();
    // More alerts than the bound (HTTP_CONCURRENCY, documented in src/notify/README.md).
    const n = 2 * HTTP_CONCURRENCY + 8;
    for (let i = 0; i < n; i++) sink.enqueue({ alert: sampleAlert(), destinations: ['hook'] });
    await until(() => counts.delivered === n);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(HTTP_CONCURRENCY);
  });
});

describe('delivery.maxAge with a failing receiver', () => {
  it('drops an alert that passed maxAge while it was being sent instead of retrying it at once in a loop (stepped clock)', async () => {
    const rx = await receiver();
    const T0 = 1_000_000;
    const clock = new SteppedClock(T0);
    const log = captureLog();
    const counts = { failed: 0, dropped: [] as string[] };
    const sink = createOutboxSink({
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'tw-sink-')),
      destinations: { hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } },
      delivery: { ...FAST, maxAgeMs: 30_000 },
      logger: log.logger,
      timers: clock,
      metrics: { delivered: () => {}, failed: () => counts.failed++, dropped: (d, r) => counts.dropped.push(`${d}:${r}`) },
    });
    cleanups.push(() => clock.runWhile(sink.close(200)));
    const a = sampleAlert();
    sink.enqueue({ alert: a, destinations: ['hook'] });
    // Sent just before maxAge (housekeeping runs then, and finds nothing old); the 503 comes back after it.
    await clock.advanceTo(T0 + 29_500);
    rx.respond(() => {
      void clock.advanceTo(T0 + 30_400); // the answer takes 900 ms
      return { status: 503 };
    });
    sink.start();
    await until(() => counts.dropped.length === 1, 5_000);
    await clock.advance(60_000);
    expect(rx.requests).toHaveLength(1);
    expect(counts.dropped).toEqual(['hook:max-age']);
    expect(log.lines.find((l) => l['msg'] === 'alert dropped: older than delivery.maxAge')).toMatchObject({ alert: a.id, destination: 'hook' });
    for (const l of log.lines.filter((x) => x['msg'] === 'delivery failed; will retry')) expect(Number(l['retryInMs'])).toBeGreaterThan(0);
    expect(sink.depth()).toBe(0);
  });

  it('a row already past maxAge when it is leased is dropped there, not sent (housekeeping is not due yet)', async () => {
    const rx = await receiver();
    const T0 = 1_000_000;
    const clock = new SteppedClock(T0);
    const log = captureLog();
    const counts = { dropped: [] as string[] };
    const sink = createOutboxSink({
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'tw-sink-')),
      destinations: { hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } },
      delivery: { ...FAST, maxAgeMs: 30_000 },
      logger: log.logger,
      timers: clock,
      metrics: { delivered: () => {}, failed: () => {}, dropped: (d, r) => counts.dropped.push(`${d}:${r}`) },
    });
    cleanups.push(() => clock.runWhile(sink.close(200)));
    const fresh = sampleAlert();
    sink.enqueue({ alert: fresh, destinations: ['hook'] });
    sink.start(); // housekeeping runs at T0
    await until(() => rx.requests.length === 1);
    // Decided 31 s ago and held in memory until now (the outbox could not write): too old to send.
    const stale = sampleAlert();
    sink.enqueueMany([{ alert: stale, destinations: ['hook'], decidedAt: T0 - 31_000 }]);
    await until(() => counts.dropped.length === 1, 5_000);
    await clock.advance(60_000);
    expect(rx.requests.map((r) => r.headers['x-tailwatch-delivery'])).toEqual([fresh.id]);
    expect(counts.dropped).toEqual(['hook:max-age']);
    expect(log.lines.find((l) => l['msg'] === 'alert dropped: older than delivery.maxAge')).toMatchObject({ alert: stale.id });
    expect(sink.depth()).toBe(0);
  });
});

describe('delivery.maxQueued', () => {
  it('keeps at most maxQueued pending deliveries per destination: the oldest are dropped (queue-full: counted, one log line), never the newest', async () => {
    const rx = await receiver();
    const { sink, counts, log, clock } = makeSink(
      { hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} }, other: { type: 'webhook', name: 'other', url: rx.url + '/other', headers: {} } },
      { maxQueued: 5 },
    );
    // Not started yet: everything stays pending. Decision times make "oldest" exact.
    const t0 = clock.now() - 1_000;
    const first = Array.from({ length: 4 }, () => sampleAlert());
    first.forEach((alert, i) => sink.enqueue({ alert, destinations: ['hook', 'other'], decidedAt: t0 + i }));
    const burst = Array.from({ length: 4 }, () => sampleAlert());
    sink.enqueueMany(burst.map((alert, i) => ({ alert, destinations: ['hook'], decidedAt: t0 + 10 + i })));
    expect(sink.depth()).toBe(5 + 4);
    expect(counts.dropped).toEqual(['hook:queue-full', 'hook:queue-full', 'hook:queue-full']);
    const lines = log.lines.filter((l) => l['msg'] === 'outbox full for this destination: oldest pending alerts dropped (delivery.maxQueued)');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ destination: 'hook', dropped: 3, maxQueued: 5, level: 40 });
    // Sent: the newest five to `hook`, all four to `other`.
    sink.start();
    await until(() => counts.delivered === 9);
    const sent = (p: string) => rx.requests.filter((r) => r.path === p).map((r) => r.headers['x-tailwatch-delivery']).sort();
    expect(sent('/')).toEqual([first[3]!, ...burst].map((a) => a.id).sort());
    expect(sent('/other')).toEqual(first.map((a) => a.id).sort());
  });
});
