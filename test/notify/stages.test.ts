/**
 * The dispatcher's pure parts, each alone: the outcome of a send → what
 * happens to its rows, ack batching, housekeeping's cadence and cuts, the
 * token bucket and digest size, and when a lane wakes.
 */
import { describe, expect, it } from 'vitest';
import { AckBatcher } from '../../src/notify/acks.js';
import { Housekeeping, TOMBSTONE_MIN_MS } from '../../src/notify/housekeeping.js';
import { deliveryOf, type SendOutcome } from '../../src/notify/notifier.js';
import type { OutboxKey } from '../../src/notify/outbox.js';
import { verdict, type VerdictInput } from '../../src/notify/outcome.js';
import { MAX_SLEEP_MS, TokenBucket, batchSize, wakeDelay } from '../../src/notify/pacing.js';
import { SLACK_PACING } from '../../src/notify/slack/index.js';
import { sampleAlert } from '../kit/alerts.js';

const T = 1_000_000_000;
const fail = (over: Partial<Extract<SendOutcome, { ok: false }>> = {}): SendOutcome => ({ ok: false, retry: true, reason: 'server-error', status: 503, detail: 'HTTP 503', ...over });
const input = (over: Partial<VerdictInput> = {}): VerdictInput => ({
  outcome: fail(),
  aborted: false,
  rows: [{ attempts: 1, createdAt: T - 1_000 }],
  now: T,
  policy: { initialMs: 1_000, maxMs: 300_000 },
  maxAgeMs: 60_000,
  random: () => 1,
  ...over,
});

describe('a send outcome → what happens to its rows', () => {
  it('a 2xx is an ack, whatever else holds', () => {
    expect(verdict(input({ outcome: { ok: true, status: 200 }, aborted: true }))).toEqual({ kind: 'ack' });
  });

  it('a send aborted by shutdown is interrupted (due again at once), even when the receiver said 4xx', () => {
    expect(verdict(input({ aborted: true, outcome: fail({ retry: false }) }))).toEqual({ kind: 'interrupted' });
  });

  it('a failure not worth a retry is dead (permanent)', () => {
    expect(verdict(input({ outcome: fail({ retry: false, reason: 'client-error', status: 404 }) }))).toEqual({ kind: 'dead', cause: 'permanent' });
  });

  it('a retryable failure is retried after the backoff of the most-tried row', () => {
    expect(verdict(input({ rows: [{ attempts: 1, createdAt: T - 10 }, { attempts: 3, createdAt: T - 20 }] }))).toEqual({ kind: 'retry-later', dueAt: T + 4_000, pauseUntil: undefined });
  });

  it("a Retry-After longer than the backoff sets the retry and pauses the whole destination", () => {
    expect(verdict(input({ outcome: fail({ reason: 'rate-limited', status: 429, retryAfterMs: 30_000 }) }))).toEqual({ kind: 'retry-later', dueAt: T + 30_000, pauseUntil: T + 30_000 });
  });

  it('a retry never falls past the oldest fresh row’s maxAge, and never in the past', () => {
    const v = verdict(input({ rows: [{ attempts: 9, createdAt: T - 59_900 }] }));
    expect(v).toEqual({ kind: 'retry-later', dueAt: T - 59_900 + 60_000 + 1, pauseUntil: undefined });
    expect((v as { dueAt: number }).dueAt).toBeGreaterThan(T);
  });

  it('rows that aged past maxAge while in flight are dead (max-age), and a Retry-After still pauses the destination', () => {
    expect(verdict(input({ rows: [{ attempts: 1, createdAt: T - 60_001 }], outcome: fail({ retryAfterMs: 5_000 }) }))).toEqual({ kind: 'dead', cause: 'max-age', pauseUntil: T + 5_000 });
  });
});

describe('ack batching', () => {
  const key = (id: string): OutboxKey => ({ alertId: id, destination: 'd' });

  it('acks added in the same turn share one write, and each caller learns when it is on disk', async () => {
    const writes: string[][] = [];
    let flush: (() => void) | undefined;
    const acks = new AckBatcher((keys) => writes.push(keys.map((k) => k.alertId)), (fn) => (flush = fn));
    const settled: string[] = [];
    const a = acks.add([key('a')]).then(() => settled.push('a'));
    const b = acks.add([key('b'), key('c')]).then(() => settled.push('b'));
    await Promise.resolve();
    expect(writes).toEqual([]);
    expect(settled).toEqual([]);
    flush!();
    await Promise.all([a, b]);
    expect(writes).toEqual([['a', 'b', 'c']]);
    expect(settled).toEqual(['a', 'b']);
  });

  it('a failed write rejects every ack of its batch with the error; the next batch is written again', async () => {
    let failing = true;
    const writes: number[] = [];
    const acks = new AckBatcher(
      (keys) => {
        if (failing) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        writes.push(keys.length);
      },
      (fn) => queueMicrotask(fn),
    );
    const results = await Promise.allSettled([acks.add([key('a')]), acks.add([key('b')])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_FULL' });
    failing = false;
    await acks.add([key('c')]);
    expect(writes).toEqual([1]);
  });

  it('flush() writes what is queued at once (close), and nothing when nothing is', () => {
    const writes: number[] = [];
    const acks = new AckBatcher((keys) => writes.push(keys.length), () => {});
    acks.flush();
    void acks.add([key('a')]);
    acks.flush();
    expect(writes).toEqual([1]);
  });
});

describe('housekeeping', () => {
  it('runs at most once a second, with cuts at maxAge and at max(a day, maxAge) for tombstones', () => {
    const h = new Housekeeping(60_000);
    expect(h.due(T)).toEqual({ expireBefore: T - 60_000, purgeBefore: T - TOMBSTONE_MIN_MS });
    expect(h.due(T + 999)).toBeUndefined();
    expect(h.due(T + 1_000)).toEqual({ expireBefore: T + 1_000 - 60_000, purgeBefore: T + 1_000 - TOMBSTONE_MIN_MS });
    expect(new Housekeeping(2 * TOMBSTONE_MIN_MS).due(T)?.purgeBefore).toBe(T - 2 * TOMBSTONE_MIN_MS);
  });
});

describe('pacing', () => {
  it('Slack: a burst of 3, then one a second; a 429 empties the bucket', () => {
    const b = new TokenBucket(SLACK_PACING, T);
    for (let i = 0; i < 3; i++) {
      expect(b.waitMs(T)).toBe(0);
      b.take(T);
    }
    expect(b.waitMs(T)).toBe(1_000);
    expect(b.waitMs(T + 400)).toBe(600);
    expect(b.waitMs(T + 1_000)).toBe(0);
    b.empty(T + 1_000);
    expect(b.waitMs(T + 1_000)).toBe(1_000);
    // Refills up to the burst, no more.
    expect(b.waitMs(T + 100_000)).toBe(0);
    for (let i = 0; i < 3; i++) b.take(T + 100_000);
    expect(b.waitMs(T + 100_000)).toBeGreaterThan(0);
  });

  it('folds into a digest only when more are due than digestAfterSeconds of messages, at most digestMax', () => {
    expect(batchSize(undefined, 500)).toBe(1);
    expect(batchSize(SLACK_PACING, 1)).toBe(1);
    expect(batchSize(SLACK_PACING, 3)).toBe(1);
    expect(batchSize(SLACK_PACING, 4)).toBe(4);
    expect(batchSize(SLACK_PACING, 200)).toBe(50);
  });

  it('a lane wakes when its next row is due, not before a pause ends, at least once a minute, never when nothing is pending', () => {
    expect(wakeDelay(undefined, 0, T)).toBeUndefined();
    expect(wakeDelay(T + 500, 0, T)).toBe(500);
    expect(wakeDelay(T - 500, 0, T)).toBe(0);
    expect(wakeDelay(T + 500, T + 2_000, T)).toBe(2_000);
    expect(wakeDelay(T + 3_600_000, 0, T)).toBe(MAX_SLEEP_MS);
  });
});

describe('a delivery', () => {
  it('is one alert under its own id, or a digest under an id derived from all of theirs, in order', () => {
    const [a, b] = [sampleAlert(), sampleAlert()];
    expect(deliveryOf([a!])).toEqual({ kind: 'one', id: a!.id, alert: a });
    const d = deliveryOf([a!, b!]);
    expect(d).toMatchObject({ kind: 'digest', alerts: [a, b] });
    expect(d.id).toMatch(/^digest-[0-9a-f]{32}$/);
    expect(deliveryOf([b!, a!]).id).not.toBe(d.id);
    expect(deliveryOf([a!, b!]).id).toBe(d.id);
  });
});
