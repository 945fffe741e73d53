import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { brief, ev, feed, rule, storm, T0 } from '../kit/rules.js';

const abs = (extra: Parameters<typeof rule>[0] = {}, count?: number) =>
  new Engine({ rules: [rule({ window: { type: 'absence', within: '1m', ...(count ? { count } : {}) }, ...extra })] });

describe('absence windows', () => {
  it('fires exactly `within` after the last event of a group seen before', () => {
    const e = abs();
    expect(feed(e, [ev(0), ev(30)], 89.999)).toEqual([]);
    const alerts = feed(e, [], 90);
    expect(alerts.map(brief)).toEqual([{ kind: 'firing', rule: 'r1', group: {}, count: 0, at: 90, suppressed: 0 }]);
    expect(alerts[0]!.lastEventAt).toBe(new Date(T0 + 30_000).toISOString());
  });

  it('does not fire when the next event lands exactly at the boundary', () => {
    // the event at 90 is inside (30, 90], so the window at 90 is not empty
    expect(feed(abs(), [ev(30), ev(90)], 149)).toEqual([]);
  });

  it('advances with event time: another event far later makes the absence fall due at its exact time', () => {
    const engine = new Engine({
      rules: [rule({ id: 'hb', window: { type: 'absence', within: '1m' }, match: { kind: 'pattern', pattern: 'heartbeat', pos: { file: 'x', line: 1, col: 1 } } }), rule({ id: 'other' })],
    });
    const alerts = feed(engine, [ev(0, 'heartbeat'), ev(500, 'unrelated')]);
    expect(alerts.map(brief)).toContainEqual(expect.objectContaining({ rule: 'hb', at: 60, kind: 'firing' }));
  });

  it('never fires for a group that was never seen', () => {
    expect(feed(abs(), [], 10_000)).toEqual([]);
  });

  it('fires once per silence, not again while it lasts', () => {
    const alerts = feed(abs(), [ev(0)], 1000);
    expect(alerts).toHaveLength(1);
  });

  it('fires again after events resumed and stopped again', () => {
    const alerts = feed(abs(), [ev(0), ev(200)], 1000);
    expect(alerts.map((a) => brief(a).at)).toEqual([60, 260]);
  });

  it('sends `resolved` when events resume, with resolve: true', () => {
    const alerts = feed(abs({ resolve: true }), [ev(0), ev(200)], 230);
    expect(alerts.map(brief)).toEqual([
      expect.objectContaining({ kind: 'firing', at: 60, count: 0 }),
      expect.objectContaining({ kind: 'resolved', at: 200, count: 1 }),
    ]);
  });

  it('with count N, fires when fewer than N arrived in the last `within` and reports how many did', () => {
    // 3 events a minute needed; the stream slows to one every 40s
    const events = [...storm(0, 6, 20), ...storm(140, 3, 40)];
    const alerts = feed(abs({}, 3), events, 300);
    const first = alerts.map(brief)[0]!;
    // the dense events end at 100: at 120 the window (60, 120] holds only 80 and 100
    expect(first).toEqual(expect.objectContaining({ kind: 'firing', count: 2, at: 120 }));
  });

  it('waits a full window after a group first appears before it can fire', () => {
    // count 3, a group seen once at 0: it may fire only once (0, 60] is complete, at 60
    const alerts = feed(abs({}, 3), [ev(0)], 59);
    expect(alerts).toEqual([]);
    expect(feed(abs({}, 3), [ev(0)], 60).map(brief)).toEqual([expect.objectContaining({ at: 60, count: 0 })]);
  });

  it('keeps one absence timer per group', () => {
    const engine = new Engine({ rules: [rule({ window: { type: 'absence', within: '1m', groupBy: ['$.job'] } })] });
    const alerts = feed(engine, [ev(0, { job: 'a' }), ev(10, { job: 'b' }), ev(50, { job: 'a' })], 200);
    expect(alerts.map(brief)).toEqual([
      expect.objectContaining({ group: { job: 'b' }, at: 70 }),
      expect.objectContaining({ group: { job: 'a' }, at: 110 }),
    ]);
  });

  it('counts an event that arrives a few seconds out of order, postponing the absence', () => {
    // clock at 58 (another event), then the group's event stamped 55 arrives: due at 55 + 60
    const engine = new Engine({ rules: [rule({ id: 'hb', window: { type: 'absence', within: '1m' }, match: { kind: 'pattern', pattern: 'beat', pos: { file: 'x', line: 1, col: 1 } } })] });
    const alerts = feed(engine, [ev(0, 'beat'), ev(58, 'other'), ev(55, 'beat')], 200);
    expect(alerts.map(brief)).toEqual([expect.objectContaining({ rule: 'hb', at: 115 })]);
  });

  it('never moves the clock backwards', () => {
    const engine = abs();
    feed(engine, [ev(100)]);
    engine.advanceTo(T0);
    expect(engine.clock).toBe(T0 + 100_000);
  });
});
