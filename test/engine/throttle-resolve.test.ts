import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { brief, ev, feed, rule, storm } from '../kit/rules.js';

describe('rules without a window', () => {
  it('alert on every matching event with count 1', () => {
    const engine = new Engine({ rules: [rule({ filterPattern: 'ERROR' })] });
    const alerts = feed(engine, [ev(0, 'ERROR a'), ev(1, 'ok'), ev(2, 'ERROR b')]);
    expect(alerts.map(brief)).toEqual([
      { kind: 'firing', rule: 'r1', group: {}, count: 1, at: 0, suppressed: 0 },
      { kind: 'firing', rule: 'r1', group: {}, count: 1, at: 2, suppressed: 0 },
    ]);
    expect(alerts[1]!.events.map((e) => e.message)).toEqual(['ERROR b']);
    expect(alerts[1]!.window).toBe('');
  });
});

describe('throttle', () => {
  it('holds back firings within `throttle` of the last sent alert and reports them as suppressed on the next one', () => {
    const engine = new Engine({ rules: [rule({ throttle: '1m' })] });
    const alerts = feed(engine, [ev(0), ev(10), ev(20), ev(59.999), ev(60), ev(61)]);
    expect(alerts.map((a) => [brief(a).at, a.suppressed])).toEqual([
      [0, 0],
      [60, 3],
    ]);
    expect(engine.counters.forRule('r1')).toMatchObject({ fired: 6, suppressed: 4 });
  });

  it('counts suppressed firings, not events', () => {
    const engine = new Engine({ rules: [rule({ throttle: '10m', window: { type: 'threshold', count: 5, within: '1m' } })] });
    // 25 events in 25 s: 5 firings; the first is sent, 4 suppressed
    const first = feed(engine, storm(0, 25, 1));
    expect(first.map(brief)).toEqual([expect.objectContaining({ at: 4, count: 5, suppressed: 0 })]);
    const next = feed(engine, storm(700, 5, 1));
    expect(next.map(brief)).toEqual([expect.objectContaining({ at: 704, suppressed: 4 })]);
  });

  it('throttle 0s never throttles', () => {
    const engine = new Engine({ rules: [rule({ throttle: '0s' })] });
    expect(feed(engine, [ev(0), ev(0), ev(0)])).toHaveLength(3);
  });

  it('is kept per rule and group', () => {
    const engine = new Engine({ rules: [rule({ throttle: '1h', window: { type: 'threshold', count: 1, within: '1m', groupBy: ['$.host'] } })] });
    const alerts = feed(engine, [ev(0, { host: 'a' }), ev(1, { host: 'b' }), ev(2, { host: 'a' })]);
    expect(alerts.map((a) => a.group)).toEqual([{ host: 'a' }, { host: 'b' }]);
  });
});

const resolving = (throttle = '0s') => new Engine({ rules: [rule({ resolve: true, throttle, window: { type: 'threshold', count: 3, within: '1m' } })] });

describe('resolve', () => {
  it('sends `resolved` once a full window passes without the group firing again', () => {
    const alerts = feed(resolving(), [...storm(0, 3, 1), ev(30)], 200);
    expect(alerts.map(brief)).toEqual([
      expect.objectContaining({ kind: 'firing', at: 2, count: 3 }),
      // 2 + 60: count = matches in the last window (the one at 30)
      expect.objectContaining({ kind: 'resolved', at: 62, count: 1 }),
    ]);
  });

  it('does not resolve one millisecond early', () => {
    expect(feed(resolving(), storm(0, 3, 1), 61.999)).toHaveLength(1);
  });

  it('a suppressed firing postpones the resolve, and the resolve is never throttled', () => {
    const alerts = feed(resolving('1h'), [...storm(0, 3, 1), ...storm(40, 3, 1)], 500);
    expect(alerts.map(brief)).toEqual([
      expect.objectContaining({ kind: 'firing', at: 2 }),
      // the second firing at 42 was suppressed: resolved at 42 + 60, carrying that count
      expect.objectContaining({ kind: 'resolved', at: 102, suppressed: 1 }),
    ]);
  });

  it('sends nothing without resolve: true', () => {
    const engine = new Engine({ rules: [rule({ window: { type: 'threshold', count: 1, within: '1m' } })] });
    expect(feed(engine, [ev(0)], 1000)).toHaveLength(1);
  });

  it('works for spike windows too', () => {
    const engine = new Engine({ rules: [rule({ resolve: true, throttle: '0s', window: { type: 'spike', factor: 2, minCount: 3, within: '1m' } })] });
    const alerts = feed(engine, storm(0, 3, 1), 300);
    expect(alerts.map((a) => [a.kind, brief(a).at])).toEqual([
      ['firing', 2],
      ['resolved', 62],
    ]);
  });
});

describe('episodes: a condition that comes back is always paged', () => {
  it('absence: missing (sent), back (resolved), missing again within the throttle → sent again', () => {
    const engine = new Engine({ rules: [rule({ resolve: true, throttle: '5m', window: { type: 'absence', within: '30s' } })] });
    // Beats 0–15 s, silence (missing at 45), beats 60–75, silence again (missing at 105, well within 5m).
    const alerts = feed(engine, [...storm(0, 2, 15), ...storm(60, 2, 15)], 200);
    expect(alerts.map((a) => [a.kind, brief(a).at, a.suppressed])).toEqual([
      ['firing', 45, 0],
      ['resolved', 60, 0],
      ['firing', 105, 0],
    ]);
  });

  it('threshold: a burst after the resolve opens a new episode, sent despite the throttle', () => {
    const alerts = feed(resolving('1h'), [...storm(0, 3, 1), ...storm(100, 3, 1)], 500);
    expect(alerts.map((a) => [a.kind, brief(a).at])).toEqual([
      ['firing', 2],
      ['resolved', 62],
      ['firing', 102],
      ['resolved', 162],
    ]);
  });

  it('without resolve an episode never closes: the throttle alone spaces the alerts', () => {
    const engine = new Engine({ rules: [rule({ throttle: '5m', window: { type: 'absence', within: '30s' } })] });
    const alerts = feed(engine, [...storm(0, 2, 15), ...storm(60, 2, 15)], 200);
    expect(alerts.map((a) => [a.kind, brief(a).at])).toEqual([['firing', 45]]);
  });
});
