import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { brief, ev, feed, rule, storm } from '../kit/rules.js';

const spike = (factor: number, minCount: number, extra: Parameters<typeof rule>[0] = {}) =>
  new Engine({ rules: [rule({ window: { type: 'spike', factor, minCount, within: '1m' }, ...extra })] });

describe('spike windows', () => {
  it('fires when the current window reaches factor × the previous window and minCount', () => {
    // at t=114 the previous window (-6, 54] holds the 5 base events, the current (54, 114] the burst
    const base = storm(0, 5, 10);
    const burst = storm(100, 15, 1);
    const alerts = feed(spike(3, 10), [...base, ...burst]);
    expect(alerts.map(brief)).toEqual([expect.objectContaining({ kind: 'firing', count: 15, at: 114 })]);
  });

  it('stays quiet one event below factor × previous', () => {
    const alerts = feed(spike(3, 10), [...storm(0, 5, 10), ...storm(100, 14, 1)]);
    expect(alerts).toEqual([]);
  });

  it('needs at least minCount even when the previous window was empty', () => {
    expect(feed(spike(2, 10), storm(0, 9, 1))).toEqual([]);
    expect(feed(spike(2, 10), storm(0, 10, 1)).map(brief)).toEqual([expect.objectContaining({ count: 10, at: 9 })]);
  });

  it('starts the current window empty after firing; the burst then becomes the baseline', () => {
    // 1/s for 3 minutes from nothing: with no baseline it fires every minCount events during the
    // first window; once the previous window holds the burst it never fires again
    const alerts = feed(spike(2, 10), storm(0, 180, 1));
    expect(alerts.map((a) => brief(a).at)).toEqual([9, 19, 29, 39, 49, 59]);
  });

  it('counts an event exactly `within` old in the previous window, not the current one', () => {
    // at t=120: current (60, 120], previous (0, 60]; the event at 60 is previous
    const alerts = feed(spike(2, 2), [ev(60), ev(119), ev(120)]);
    // at 119: current (59,119] = {60,119} = 2 ≥ 2 × previous 0 → fires at 119
    expect(alerts.map((a) => [brief(a).at, a.count])).toEqual([[119, 2]]);
    const none = feed(spike(2, 2), [ev(0), ev(60), ev(120)]);
    // at 60: current {60} (0 is exactly 60 old) → 1 < minCount; at 120: current {120}, previous {60}
    expect(none).toEqual([]);
  });
});
