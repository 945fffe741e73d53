/**
 * Events wait for their rule's watermark under their `eventKey` (live.ts keeps the key beside the
 * event, sessions keep keys to deduplicate backfills): a 1 MB line's key is not 1 MB.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import { Engine } from '../../src/engine/engine.js';
import { eventKey, type LogEvent } from '../../src/model/event.js';
import { LiveEngine } from '../../src/engine/live.js';
import { SameTimeOrder } from '../../src/engine/order.js';
import { ev, rule, T0 } from '../kit/rules.js';

const MB = 1_000_000;

describe('the key of a huge line', () => {
  it('is at most 16 KiB of the message plus a digest, and still tells lines apart', () => {
    const a = ev(0, 'x'.repeat(MB) + 'a');
    const b = ev(0, 'x'.repeat(MB) + 'b');
    const c = ev(0, 'x'.repeat(MB) + '\ud800');
    const d = ev(0, 'x'.repeat(MB) + '\udc00');
    for (const e of [a, b, c, d]) expect(eventKey(e).length).toBeLessThan(16_384 + 100);
    expect(new Set([a, b, c, d].map(eventKey)).size).toBe(4);
    expect(eventKey(ev(0, 'x'.repeat(MB) + 'a'))).toBe(eventKey(a));
    // Short messages are keyed as they are.
    expect(eventKey(ev(0, 'hello'))).toBe(`/app\u0000s1\u0000${T0}\u0000hello`);
  });

  it('orders huge lines of one millisecond the same in replay and in the daemon, counting each copy once', () => {
    const r = rule({ id: 'every', throttle: '0s' });
    const lines = ['b', 'a', 'c', 'a'].map((tail) => ev(1, 'x'.repeat(100_000) + tail));
    const order = new SameTimeOrder();
    const replay = new Engine({ rules: [r] });
    const expected: Alert[] = [];
    for (const e of [...lines.flatMap((l) => order.push(l)), ...order.flush()]) for (const x of replay.ingest(e)) expected.push(x.alert);
    const live = new LiveEngine({ rules: [r] });
    const batch = (source: string, events: LogEvent[], watermark?: number) => live.receive({ source, rules: ['every'], events, watermark });
    // Two sessions deliver the same lines in other orders; the rule decides once both covered them.
    const out = [...batch('s1', [lines[3]!, lines[2]!]), ...batch('s2', [lines[0]!, lines[1]!, lines[2]!, lines[3]!], T0 + 1000), ...batch('s1', [lines[1]!, lines[0]!], T0 + 1000)].map((x) => x.alert);
    expect(out.map((x) => x.id)).toEqual(expected.map((x) => x.id));
    expect(out).toHaveLength(4);
  });
});
