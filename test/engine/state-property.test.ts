import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { ev, feed, rule } from '../kit/rules.js';

const rules = [
  rule({ id: 'thr', throttle: '30s', resolve: true, window: { type: 'threshold', count: 3, within: '20s', groupBy: ['$.h'], maxGroups: 3 } }),
  rule({ id: 'abs', throttle: '0s', resolve: true, window: { type: 'absence', count: 2, within: '15s', groupBy: ['$.h'] } }),
  rule({ id: 'spk', throttle: '10s', resolve: true, window: { type: 'spike', factor: 2, minCount: 3, within: '10s' } }),
  rule({ id: 'each', throttle: '5s' }),
];

// Events mostly in order, sometimes a few seconds late, over 5 hosts.
const eventsArb = fc.array(fc.record({ step: fc.integer({ min: 0, max: 8 }), late: fc.integer({ min: 0, max: 3 }), h: fc.integer({ min: 0, max: 4 }) }), { maxLength: 80 }).map((xs) => {
  let t = 0;
  return xs.map((x) => {
    t += x.step;
    return ev(Math.max(0, t - x.late), { h: `h${x.h}` });
  });
});

describe('engine state, for any event sequence', () => {
  it('export → JSON → restore at any point decides exactly what an engine that never stopped decides', () => {
    fc.assert(
      fc.property(eventsArb, fc.nat(), (events, cut) => {
        const at = events.length === 0 ? 0 : cut % (events.length + 1);
        const straight = feed(new Engine({ rules }), events, 2000);
        const first = new Engine({ rules });
        const a = feed(first, events.slice(0, at));
        const restored = new Engine({ rules, state: JSON.parse(JSON.stringify(first.exportState())) });
        const b = feed(restored, events.slice(at), 2000);
        expect([...a, ...b]).toEqual(straight);
      }),
      { numRuns: 200 },
    );
  });

  it('a reload with the same rules changes nothing', () => {
    fc.assert(
      fc.property(eventsArb, fc.nat(), (events, cut) => {
        const at = events.length === 0 ? 0 : cut % (events.length + 1);
        const straight = feed(new Engine({ rules }), events, 2000);
        const engine = new Engine({ rules });
        const a = feed(engine, events.slice(0, at));
        const b = feed(engine.reload(rules).engine, events.slice(at), 2000);
        expect([...a, ...b]).toEqual(straight);
      }),
      { numRuns: 100 },
    );
  });
});
