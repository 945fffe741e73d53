import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { brief, ev, feed, rule, storm } from '../kit/rules.js';

const thr = (count: number, within = '1m', extra: Parameters<typeof rule>[0] = {}) =>
  new Engine({ rules: [rule({ window: { type: 'threshold', count, within }, ...extra })] });

describe('threshold windows', () => {
  it('fires when a matching event brings the count to exactly `count`', () => {
    const alerts = feed(thr(3), storm(0, 3, 10));
    expect(alerts.map(brief)).toEqual([{ kind: 'firing', rule: 'r1', group: {}, count: 3, at: 20, suppressed: 0 }]);
  });

  it('stays quiet one event below the threshold', () => {
    expect(feed(thr(3), storm(0, 2, 10), 600)).toEqual([]);
  });

  it('does not count an event that is exactly `within` old (the window is (t − within, t])', () => {
    // events at 0, 30, 60: at t=60 the window (0, 60] holds only 30 and 60
    expect(feed(thr(3), [ev(0), ev(30), ev(60)])).toEqual([]);
    // one millisecond later the first event is still inside
    const alerts = feed(thr(3), [ev(0), ev(30), ev(59.999)]);
    expect(alerts.map(brief)).toEqual([expect.objectContaining({ count: 3, at: 59.999 })]);
  });

  it('counts events that arrive a few seconds out of order', () => {
    const alerts = feed(thr(3), [ev(10), ev(20), ev(17)]);
    expect(alerts.map(brief)).toEqual([expect.objectContaining({ count: 3, at: 20 })]);
    expect(alerts[0]!.firstEventAt).toBe(new Date(ev(10).timestamp).toISOString());
    expect(alerts[0]!.lastEventAt).toBe(new Date(ev(20).timestamp).toISOString());
  });

  it('ignores a late event that falls before the window of the clock', () => {
    // clock at 100: an event stamped 30 is outside (40, 100]
    expect(feed(thr(2), [ev(100), ev(30)])).toEqual([]);
  });

  it('starts the window empty after firing, so a sustained storm fires every `count` events', () => {
    const alerts = feed(thr(5, '1m'), storm(0, 12, 1));
    expect(alerts.map((a) => [a.count, (Date.parse(a.firedAt) - ev(0).timestamp) / 1000])).toEqual([
      [5, 4],
      [5, 9],
    ]);
  });

  it('keeps one window per groupBy tuple and names the group by the selector without `$.`', () => {
    const engine = new Engine({ rules: [rule({ window: { type: 'threshold', count: 2, within: '1m', groupBy: ['$.merchant', '$.user.id'] } })] });
    const alerts = feed(engine, [
      ev(0, { merchant: 'm1', user: { id: 7 } }),
      ev(1, { merchant: 'm2', user: { id: 7 } }),
      ev(2, { merchant: 'm1', user: { id: 7 } }),
      ev(3, { user: { id: 8 } }),
      ev(4, 'not json'),
    ]);
    expect(alerts.map(brief)).toEqual([expect.objectContaining({ group: { merchant: 'm1', 'user.id': 7 }, count: 2 })]);
    // a missing field or a non-JSON message belongs to the group where that value is null
    const more = feed(engine, [ev(5, { merchant: 'm9' })]);
    expect(more).toEqual([]);
    const nulls = feed(engine, [ev(6, { other: 1 })]);
    expect(nulls.map(brief)).toEqual([expect.objectContaining({ group: { merchant: null, 'user.id': null }, count: 2 })]);
  });

  it('carries up to 5 sample events, oldest first, from the window that fired', () => {
    const alerts = feed(thr(8), storm(0, 8, 1, 'line'));
    const a = alerts[0]!;
    expect(a.events.map((e) => (e.timestamp - ev(0).timestamp) / 1000)).toEqual([3, 4, 5, 6, 7]);
    expect(a.events[0]).toEqual({ timestamp: ev(3).timestamp, logGroup: '/app', logStream: 's1', message: 'line' });
  });
});
