/**
 * A groupBy value from a hostile line can be a megabyte where an id was expected: the group keeps
 * it cut to 1 KiB (alerts show it with "…") and keyed by the cut text plus a digest of the whole,
 * so values that differ after the cut stay different groups.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { EngineState } from '../../src/engine/state.js';
import { ev, feed, rule } from '../kit/rules.js';

const huge = (tail: string) => 'u'.repeat(1_000_000) + tail;

describe('huge group values', () => {
  const one = rule({ id: 'one', throttle: '0s', window: { type: 'threshold', count: 2, within: '1m', groupBy: ['$.user'] }, title: '{{group.user}}' });
  const two = rule({ id: 'two', throttle: '0s', window: { type: 'threshold', count: 2, within: '1m', groupBy: ['$.user', '$.host'] } });
  const events = [ev(0, { user: huge('a'), host: 'h' }), ev(1, { user: huge('b'), host: 'h' }), ev(2, { user: huge('a'), host: 'h' }), ev(3, { user: huge('b'), host: 'h' })];

  it('are kept and shown cut to 1 KiB; values differing after the cut stay apart', () => {
    const engine = new Engine({ rules: [one, two] });
    const alerts = feed(engine, events);
    expect(alerts.map((a) => `${a.rule.id}@${a.count}`)).toEqual(['one@2', 'two@2', 'one@2', 'two@2']);
    for (const a of alerts) {
      expect(a.group['user']).toBe('u'.repeat(1024) + '…');
      expect(a.title.length).toBeLessThanOrEqual(16_385);
    }
    expect(new Set(alerts.map((a) => a.id)).size).toBe(4);
    expect(JSON.stringify(engine.exportState()).length).toBeLessThan(100_000);
  });

  it('decide the same alerts, ids included, after a restart', () => {
    const straight = feed(new Engine({ rules: [one, two] }), events);
    const first = new Engine({ rules: [one, two] });
    const a = feed(first, events.slice(0, 2));
    const restored = new Engine({ rules: [one, two], state: JSON.parse(JSON.stringify(first.exportState())) as EngineState });
    expect([...a, ...feed(restored, events.slice(2))]).toEqual(straight);
  });

  it('short values are keyed and shown as before', () => {
    const [a] = feed(new Engine({ rules: [one] }), [ev(0, { user: 'u'.repeat(1024) }), ev(1, { user: 'u'.repeat(1024) })]);
    expect(a!.group).toEqual({ user: 'u'.repeat(1024) });
  });
});
