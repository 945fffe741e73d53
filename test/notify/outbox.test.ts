import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOutbox, type OutboxStore } from '../../src/notify/outbox.js';
import { sampleAlert } from '../kit/alerts.js';

const open: OutboxStore[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
});
function store(dir = mkdtempSync(path.join(os.tmpdir(), 'tw-outbox-'))): { s: OutboxStore; dir: string } {
  const s = openOutbox(dir);
  open.push(s);
  return { s, dir };
}

describe('the outbox store, one transaction per transition', () => {
  it('keeps its files owner-only (they hold log lines), whatever the umask', () => {
    const old = process.umask(0o022);
    try {
      const { s, dir } = store();
      s.enqueue(sampleAlert(), ['x'], 1_000);
      const files = readdirSync(dir);
      expect(files).toContain('outbox.sqlite');
      for (const f of files) expect((statSync(path.join(dir, f)).mode & 0o777).toString(8), f).toBe('600');
    } finally {
      process.umask(old);
    }
  });

  it('enqueue is idempotent per alert id + destination and survives reopening', () => {
    const { s, dir } = store();
    const a = sampleAlert();
    expect(s.enqueue(a, ['x', 'y'], 1_000)).toEqual(['x', 'y']);
    expect(s.enqueue(a, ['x', 'z'], 1_001)).toEqual(['z']);
    expect(s.depth()).toBe(3);
    s.close();
    const again = store(dir).s;
    expect(again.depth()).toBe(3);
    expect(again.lease('x', 2_000, 10, 500)[0]!.alert).toEqual(a);
  });

  it('enqueueMany records a whole batch in one transaction: all of it, or (when one alert fails) none of it', () => {
    const { s, dir } = store();
    const a = sampleAlert();
    const b = sampleAlert();
    expect(s.enqueueMany([{ alert: a, destinations: ['x', 'y'] }, { alert: b, destinations: ['x'] }, { alert: a, destinations: ['x'] }], 1_000)).toEqual([['x', 'y'], ['x'], []]);
    expect(s.depth()).toBe(3);
    const c = sampleAlert();
    const broken = { ...sampleAlert(), group: { n: 1n } } as unknown as typeof c; // JSON.stringify throws on the second alert
    expect(() => s.enqueueMany([{ alert: c, destinations: ['x'] }, { alert: broken, destinations: ['x'] }], 1_001)).toThrow();
    expect(s.depth()).toBe(3); // c was rolled back with it
    s.close();
    const again = store(dir).s;
    expect(again.lease('x', 2_000, 10, 500).map((r) => r.alertId).sort()).toEqual([a.id, b.id].sort());
  });

  it('a leased row is invisible until its lease expires (crash recovery), then comes back with attempts + 1', () => {
    const { s } = store();
    const a = sampleAlert();
    s.enqueue(a, ['x'], 1_000);
    expect(s.lease('x', 1_000, 10, 500)).toHaveLength(1);
    expect(s.lease('x', 1_499, 10, 500)).toHaveLength(0);
    expect(s.nextWake(['x'])).toBe(1_500);
    const back = s.lease('x', 1_500, 10, 500);
    expect(back.map((r) => r.attempts)).toEqual([2]);
  });

  it('ack and dead leave tombstones that keep enqueue idempotent until purged', () => {
    const { s } = store();
    const a = sampleAlert();
    const b = sampleAlert();
    s.enqueue(a, ['x'], 1_000);
    s.enqueue(b, ['x'], 1_000);
    const rows = s.lease('x', 1_000, 10, 500);
    s.ack([{ alertId: a.id, destination: 'x' }], 1_100);
    s.dead([{ alertId: b.id, destination: 'x' }], 1_100, 'HTTP 404');
    expect(rows).toHaveLength(2);
    expect(s.depth()).toBe(0);
    expect(s.enqueue(a, ['x'], 2_000)).toEqual([]);
    expect(s.purge(1_101)).toBe(2);
    expect(s.enqueue(a, ['x'], 3_000)).toEqual(['x']);
  });

  it('retryLater makes a row due later; expire kills pending unleased rows older than the cut', () => {
    const { s } = store();
    const a = sampleAlert();
    const b = sampleAlert();
    s.enqueue(a, ['x'], 1_000);
    s.lease('x', 1_000, 10, 500);
    s.retryLater([{ alertId: a.id, destination: 'x' }], 5_000, 'HTTP 503');
    expect(s.dueCount('x', 4_999)).toBe(0);
    expect(s.dueCount('x', 5_000)).toBe(1);
    s.enqueue(b, ['x'], 4_000);
    expect(s.expire(2_000, 6_000)).toEqual([{ alertId: a.id, destination: 'x' }]);
    expect(s.depth()).toBe(1);
  });
});

describe('the outbox store and maxAge', () => {
  it('leaseUnexpired marks due rows enqueued before the cut dead in the same transaction and leases the others', () => {
    const { s } = store();
    const [old, young, later] = [sampleAlert(), sampleAlert(), sampleAlert()];
    s.enqueueMany([{ alert: old, destinations: ['x'], at: 1_000 }, { alert: young, destinations: ['x'], at: 5_000 }, { alert: later, destinations: ['x'], at: 9_000 }], 9_000);
    const { rows, expired } = s.leaseUnexpired('x', 6_000, 10, 60_000, 2_000);
    expect(expired).toEqual([{ alertId: old.id, destination: 'x' }]);
    expect(rows.map((r) => r.alertId)).toEqual([young.id]); // `later` is not due yet
    expect(s.depth()).toBe(2);
    expect(s.lease('x', 9_000, 10, 500).map((r) => r.alertId)).toEqual([later.id]);
  });
});

describe('the outbox store under a storm', () => {
  it('leases from the index, without sorting every due row (EXPLAIN QUERY PLAN), oldest first', async () => {
    const { s, dir } = store();
    const a = sampleAlert();
    const b = sampleAlert();
    s.enqueue(b, ['x'], 2_000);
    s.enqueue(a, ['x'], 1_000);
    expect(s.lease('x', 3_000, 1, 500).map((r) => r.alertId)).toEqual([a.id]);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(dir, 'outbox.sqlite'), { readonly: true });
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT alert_id FROM delivery WHERE destination = ? AND state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at, created_at LIMIT ?`)
      .all('x', 1, 1, 1) as { detail: string }[];
    db.close();
    expect(plan.map((r) => r.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
  });
});
