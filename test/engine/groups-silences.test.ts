import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { expiredSilences } from '../../src/engine/silence.js';
import { brief, ev, feed, rule, silence, storm, T0 } from '../kit/rules.js';

describe('maxGroups', () => {
  it('evicts the least recently seen group and counts it', () => {
    const engine = new Engine({ rules: [rule({ window: { type: 'threshold', count: 2, within: '1h', groupBy: ['$.k'], maxGroups: 2 } })] });
    const alerts = feed(engine, [ev(0, { k: 'a' }), ev(1, { k: 'b' }), ev(2, { k: 'c' }), ev(3, { k: 'b' }), ev(4, { k: 'a' })]);
    // c arrives → a (least recently seen) is evicted; b fires at its second event;
    // a comes back as a new group and evicts c
    expect(alerts.map(brief)).toEqual([expect.objectContaining({ group: { k: 'b' }, count: 2, at: 3 })]);
    expect(engine.counters.forRule('r1').evictedGroups).toBe(2);
    expect(engine.exportState().rules[0]!.groups.map((g) => g.values)).toEqual([{ k: 'b' }, { k: 'a' }]);
  });

  it('keeps the most recently touched group when a new one arrives', () => {
    const engine = new Engine({ rules: [rule({ window: { type: 'threshold', count: 2, within: '1h', groupBy: ['$.k'], maxGroups: 2 } })] });
    const alerts = feed(engine, [ev(0, { k: 'a' }), ev(1, { k: 'b' }), ev(2, { k: 'a' }), ev(3, { k: 'c' }), ev(4, { k: 'a' })]);
    expect(alerts.map((a) => a.group)).toEqual([{ k: 'a' }]);
  });

  it('an evicted absence group never fires', () => {
    const engine = new Engine({ rules: [rule({ window: { type: 'absence', within: '1m', groupBy: ['$.k'], maxGroups: 1 } })] });
    const alerts = feed(engine, [ev(0, { k: 'a' }), ev(1, { k: 'b' })], 300);
    expect(alerts.map((a) => a.group)).toEqual([{ k: 'b' }]);
  });
});

describe('silences', () => {
  const firingRule = rule({ id: 'pay', labels: { team: 'payments' }, severity: 'critical', window: { type: 'threshold', count: 1, within: '1m', groupBy: ['$.m'] } });

  it('hold back matching alerts and count them', () => {
    const engine = new Engine({ rules: [firingRule], silences: [silence({ rule: 'pay', labels: { team: 'payments' }, until: T0 + 3_600_000 })] });
    expect(feed(engine, [ev(0, { m: 'x' })])).toEqual([]);
    expect(engine.counters.forRule('pay').silenced).toBe(1);
  });

  it('match on group values, alertname and severity like Alertmanager labels', () => {
    const engine = new Engine({ rules: [firingRule], silences: [silence({ labels: { m: 'x', alertname: 'pay', severity: 'critical' }, until: T0 + 3_600_000 })] });
    const alerts = feed(engine, [ev(0, { m: 'x' }), ev(1, { m: 'y' })]);
    expect(alerts.map((a) => a.group)).toEqual([{ m: 'y' }]);
  });

  it('do not match another rule or a different label value', () => {
    const engine = new Engine({ rules: [firingRule], silences: [silence({ rule: 'other', until: T0 + 3_600_000 }), silence({ labels: { team: 'web' }, until: T0 + 3_600_000 })] });
    expect(feed(engine, [ev(0, { m: 'x' })])).toHaveLength(1);
  });

  it('are ignored once expired (by event time)', () => {
    const engine = new Engine({ rules: [firingRule], silences: [silence({ rule: 'pay', until: T0 + 10_000 })] });
    const alerts = feed(engine, [ev(5, { m: 'x' }), ev(10, { m: 'y' })]);
    expect(alerts.map((a) => a.group)).toEqual([{ m: 'y' }]);
    expect(expiredSilences([silence({ until: T0 })], T0 + 1).length).toBe(1);
  });

  it('a silenced firing does not start the throttle or a resolve', () => {
    const r = rule({ id: 'pay', throttle: '1h', resolve: true, window: { type: 'threshold', count: 1, within: '1m' } });
    const engine = new Engine({ rules: [r], silences: [silence({ rule: 'pay', until: T0 + 30_000 })] });
    const alerts = feed(engine, [...storm(0, 2, 10), ev(40)], 1000);
    expect(alerts.map((a) => [a.kind, brief(a).at])).toEqual([
      ['firing', 40],
      ['resolved', 100],
    ]);
  });
});
