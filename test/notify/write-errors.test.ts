/**
 * The dispatcher when the outbox cannot write (disk full): a failing lease,
 * ack or retry never escapes into the event loop (it used to: an uncaught
 * exception from a timer, an unhandled rejection from a send), is counted and
 * reported by `writeProblem()`, and the lane tries again until writes work.
 * Only `enqueue` throws, so that the daemon keeps what it could not store.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeliveryConfig, Destination } from '../../src/model/config.js';
import { createOutboxSink } from '../../src/notify/index.js';
import { sampleAlert } from '../kit/alerts.js';
import { failingStore } from '../kit/failing-store.js';
import { captureLog } from '../kit/log.js';
import { receiversPerTest } from '../kit/receiver.js';
import { SteppedClock } from '../kit/stepped-clock.js';
import { until } from '../kit/until.js';

const { receiver, cleanups } = receiversPerTest();

const FAST: DeliveryConfig = { retryInitialMs: 50, retryMaxMs: 200, maxAgeMs: 60_000, timeoutMs: 200, maxQueued: 10_000 };

/** leaseMs = 2 × timeout + 1 s */
const LEASE_MS = 2 * FAST.timeoutMs + 1_000;

/** A sink on a stepped clock (the lane's write retry and lease expiry move only when the test advances it). */
function makeSink(destinations: Record<string, Destination>) {
  const clock = new SteppedClock();
  const log = captureLog();
  const store = failingStore();
  const counts = { delivered: 0, writeFailed: 0 };
  const sink = createOutboxSink({
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'tw-sink-full-')),
    destinations,
    delivery: FAST,
    logger: log.logger,
    openStore: store.open,
    timers: clock,
    metrics: { delivered: (_d, n) => (counts.delivered += n), failed: () => {}, dropped: () => {}, writeFailed: () => counts.writeFailed++ },
  });
  cleanups.push(() => clock.runWhile(sink.close(200)));
  return { sink, log, store, counts, clock };
}

describe('the outbox sink when the outbox cannot write', () => {
  it('enqueue throws the storage error (nothing stored, counted, reported) and works again once the store does', async () => {
    const rx = await receiver();
    const { sink, store, counts, clock } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } });
    sink.start();
    store.failing.add('enqueueMany');
    expect(() => sink.enqueueMany([{ alert: sampleAlert(), destinations: ['hook'] }])).toThrow(expect.objectContaining({ code: 'SQLITE_FULL' }));
    expect(sink.depth()).toBe(0);
    expect(counts.writeFailed).toBe(1);
    expect(sink.writeProblem?.()).toBe('disk full (SQLITE_FULL)');
    store.failing.clear();
    // Held alerts keep the time they were decided: one older than maxAge is not sent.
    const a = sampleAlert();
    const old = sampleAlert();
    sink.enqueueMany([
      { alert: old, destinations: ['hook'], decidedAt: clock.now() - FAST.maxAgeMs - 1_000 },
      { alert: a, destinations: ['hook'], decidedAt: clock.now() - 500 },
    ]);
    expect(sink.writeProblem?.()).toBeUndefined();
    await until(() => counts.delivered === 1);
    expect(rx.requests.map((r) => r.headers['x-tailwatch-delivery'])).toEqual([a.id]);
  });

  it('a lease that fails is retried by the lane (no uncaught exception), and the alerts go out once it works', async () => {
    const rx = await receiver();
    const { sink, store, counts, log, clock } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} }, slack: { type: 'slack', name: 'slack', url: rx.url + '/slack' } });
    for (let i = 0; i < 3; i++) sink.enqueue({ alert: sampleAlert(), destinations: ['hook', 'slack'] });
    store.failing.add('lease');
    sink.start();
    await until(() => (store.failures.get('lease') ?? 0) === 2); // one per lane
    expect(rx.requests).toHaveLength(0);
    expect(sink.writeProblem?.()).toBe('disk full (SQLITE_FULL)');
    expect(counts.writeFailed).toBeGreaterThanOrEqual(2);
    // One line when the problem starts, not one per attempt.
    expect(log.lines.filter((l) => l['msg'] === 'outbox write failed; retrying')).toHaveLength(1);
    // Retried once a second per lane, not in a loop.
    await clock.advance(999);
    expect(store.failures.get('lease')).toBe(2);
    await clock.advance(1);
    expect(store.failures.get('lease')).toBe(4);
    store.failing.clear();
    await clock.advance(1_000);
    await until(() => counts.delivered === 6);
    expect(sink.writeProblem?.()).toBeUndefined();
    expect(log.lines.some((l) => l['msg'] === 'outbox writes again')).toBe(true);
  });

  it('a delivered alert whose ack cannot be written is sent again when its lease expires (at-least-once), with the same delivery id', async () => {
    const rx = await receiver();
    const { sink, store, counts, log, clock } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } });
    const a = sampleAlert();
    sink.enqueue({ alert: a, destinations: ['hook'] });
    store.failing.add('ack');
    sink.start();
    await until(() => (store.failures.get('ack') ?? 0) === 1);
    expect(log.lines.some((l) => l['msg'] === 'delivered, but the outbox could not record it: it will be sent again')).toBe(true);
    store.failing.clear();
    await clock.advance(LEASE_MS - 1);
    expect(rx.requests).toHaveLength(1);
    await clock.advance(1);
    await until(() => counts.delivered === 1);
    expect(rx.requests.map((r) => r.headers['x-tailwatch-delivery'])).toEqual([a.id, a.id]);
    expect(sink.depth()).toBe(0);
  });

  it('a failure outcome that cannot be written leaves the row leased, and it is tried again after the lease', async () => {
    const rx = await receiver();
    rx.script({ status: 503 });
    const { sink, store, counts, clock } = makeSink({ hook: { type: 'webhook', name: 'hook', url: rx.url, headers: {} } });
    sink.enqueue({ alert: sampleAlert(), destinations: ['hook'] });
    store.failing.add('retryLater');
    sink.start();
    await until(() => (store.failures.get('retryLater') ?? 0) === 1);
    store.failing.clear();
    await clock.advance(LEASE_MS - 1);
    expect(rx.requests).toHaveLength(1);
    await clock.advance(1);
    await until(() => counts.delivered === 1);
    expect(rx.requests).toHaveLength(2);
  });
});
