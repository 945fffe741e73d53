// The daemon's LiveEngine against the reference every other path uses: one
// Engine over the same events in (timestamp, eventKey) order. Sources serve
// overlapping rule sets, deliver out of order within their watermark,
// deliver the same events twice (two sessions of one rule), and the engine
// restarts from a stale saved state while sources re-deliver from the rules'
// clocks, as the daemon does after kill -9.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import { Engine } from '../../src/engine/engine.js';
import { eventKey, type LogEvent, type SourceBatch } from '../../src/model/event.js';
import { LiveEngine } from '../../src/engine/live.js';
import { brief, ev, m, rule, T0 } from '../kit/rules.js';

const rules = [
  rule({ id: 'thr', logGroups: ['/a'], filterPattern: '{ $.level = "ERROR" }', throttle: '10s', resolve: true, window: { type: 'threshold', count: 3, within: '5s', groupBy: ['$.h'] } }),
  rule({ id: 'abs', logGroups: ['/b'], throttle: '30s', resolve: true, window: { type: 'absence', within: '4s', groupBy: ['$.h'] } }),
  rule({ id: 'spk', logGroups: ['/a', '/b'], throttle: '5s', resolve: true, window: { type: 'spike', factor: 2, minCount: 3, within: '5s' } }),
  rule({ id: 'each', logGroups: ['/a'], filterPattern: 'WARN', throttle: '2s' }),
  rule({ id: 'thr2', logGroups: ['/a', '/b'], window: { type: 'threshold', count: 2, within: '3s' } }),
  // Rules that do not hold what they reject (select.ts): their timers must still fall due as replay's do.
  rule({ id: 'absw', logGroups: ['/a', '/b'], filterPattern: 'WARN', throttle: '3s', resolve: true, window: { type: 'absence', within: '3s', groupBy: ['$.h'] } }),
  rule({ id: 'strm', logGroups: ['/a', '/b'], logStreams: ['s2'], match: m.field('$.h', { op: 'equals', value: 'h1' }), resolve: true, window: { type: 'threshold', count: 2, within: '2s' } }),
];
const END = T0 + 60_000;

const eventsArb = fc
  .array(fc.record({ q: fc.integer({ min: 0, max: 160 }), b: fc.boolean(), s: fc.boolean(), h: fc.integer({ min: 0, max: 2 }), warn: fc.boolean() }), { maxLength: 70 })
  .map((xs) =>
    xs.map((x) =>
      // Quarter seconds: many events share a millisecond; few messages: identical lines recur.
      ev(x.q / 4, { h: `h${x.h}`, level: x.warn ? 'WARN' : 'ERROR' }, { logGroup: x.b ? '/b' : '/a', logStream: x.s ? 's2' : 's1' }),
    ),
  );

/** Which of three sources serve each rule (one or two each). */
const layoutArb = fc.array(fc.subarray([0, 1, 2], { minLength: 1, maxLength: 2 }), { minLength: rules.length, maxLength: rules.length });

const byCanonicalOrder = (a: LogEvent, b: LogEvent): number => a.timestamp - b.timestamp || (eventKey(a) < eventKey(b) ? -1 : eventKey(a) > eventKey(b) ? 1 : 0);

function reference(events: readonly LogEvent[]): Alert[] {
  const engine = new Engine({ rules });
  const out: Alert[] = [];
  for (const e of [...events].sort(byCanonicalOrder)) for (const r of engine.ingest(e)) out.push(r.alert);
  for (const r of engine.advanceTo(END)) out.push(r.alert);
  return out;
}

interface Batch {
  readonly events: LogEvent[];
  readonly watermark: number;
  readonly maxTs: number;
}

/** A source's deliveries: its events in batches (shuffled within), each followed by a watermark that covers what was delivered. */
function schedule(events: readonly LogEvent[], cuts: readonly number[], lag: readonly boolean[]): Batch[] {
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const chunks: LogEvent[][] = [];
  for (let i = 0, k = 0; i < sorted.length; k++) {
    let n = 1 + (cuts[k % cuts.length] ?? 0);
    // Never split one millisecond across batches: a watermark covers whole milliseconds.
    while (i + n < sorted.length && sorted[i + n]!.timestamp === sorted[i + n - 1]!.timestamp) n++;
    chunks.push(sorted.slice(i, i + n));
    i += n;
  }
  return chunks.map((c, k) => {
    const shuffled = k % 2 === 0 ? [...c].reverse() : c;
    const maxTs = c[c.length - 1]!.timestamp;
    const nextMin = chunks[k + 1]?.[0]?.timestamp ?? END;
    // A lagging watermark (the previous batch's end) leaves this batch pending: later sources overtake it.
    const prevMax = k > 0 ? chunks[k - 1]![chunks[k - 1]!.length - 1]!.timestamp : T0 - 1;
    return { events: shuffled, watermark: lag[k % lag.length] ? prevMax : nextMin - 1, maxTs };
  });
}

function dedupeById(alerts: readonly Alert[]): Map<string, Alert> {
  const m = new Map<string, Alert>();
  for (const a of alerts) if (!m.has(a.id)) m.set(a.id, a);
  return m;
}

describe('LiveEngine decides what replay decides', () => {
  it('for any source layout, delivery order, duplicate sessions and a restart from a stale state', () => {
    fc.assert(
      fc.property(
        eventsArb,
        layoutArb,
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 200 }),
        fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined }),
        (events, layout, cuts, lag, picks, restart) => {
          const served = [0, 1, 2].map((s) => rules.filter((_, i) => layout[i]!.includes(s)).map((r) => r.id));
          const groupsOf = (s: number) => new Set(rules.filter((r) => served[s]!.includes(r.id)).flatMap((r) => r.source.logGroups));
          const plans = [0, 1, 2].map((s) => schedule(events.filter((e) => groupsOf(s).has(e.logGroup)), cuts, lag));
          const cursor = [0, 0, 0];
          // Steps: a source's next batch, in an order drawn by `picks` (then the rest in turn).
          const order: number[] = [];
          const left = plans.map((p) => p.length);
          for (const p of picks) if (left[p]! > 0) (order.push(p), left[p]!--);
          for (let s = 0; s < 3; s++) while (left[s]! > 0) (order.push(s), left[s]!--);
          const saveAt = restart ? restart[0] % (order.length + 1) : -1;
          const crashAt = restart ? saveAt + (restart[1] % (order.length - saveAt + 1)) : -1;

          let engine = new LiveEngine({ rules });
          let saved = engine.exportState();
          const out: Alert[] = [];
          const send = (s: number, b: Partial<SourceBatch>) => {
            for (const r of engine.receive({ source: `s${s}`, rules: served[s]!, events: [], ...b })) out.push(r.alert);
          };
          // Sessions announce themselves when they start (before any event or watermark).
          const announce = () => [0, 1, 2].forEach((s) => send(s, {}));
          announce();
          for (let step = 0; step <= order.length; step++) {
            if (step === saveAt) saved = JSON.parse(JSON.stringify(engine.exportState()));
            if (step === crashAt) {
              // kill -9: the state saved earlier comes back; each source backfills from its rules' clocks (less 1 s).
              engine = new LiveEngine({ rules, state: saved });
              announce();
              for (let s = 0; s < 3; s++) {
                const from = (engine.resumePoint(served[s]!) ?? Number.NEGATIVE_INFINITY) - 1000;
                while (cursor[s]! > 0 && plans[s]![cursor[s]! - 1]!.maxTs > from) cursor[s]!--;
              }
              // Re-deliver what was already delivered, up to where each source was.
              for (let s = 0; s < 3; s++) {
                const upTo = countUpTo(order, s, step);
                while (cursor[s]! < upTo) {
                  const b = plans[s]![cursor[s]!++]!;
                  send(s, { events: b.events, watermark: b.watermark });
                }
              }
            }
            if (step === order.length) break;
            const s = order[step]!;
            const b = plans[s]![cursor[s]!++]!;
            send(s, { events: b.events, watermark: b.watermark });
          }
          for (let s = 0; s < 3; s++) send(s, { watermark: END });
          const live = dedupeById(out);
          const want = dedupeById(reference(events));
          expect([...live.values()].map(brief).sort(cmpBrief)).toEqual([...want.values()].map(brief).sort(cmpBrief));
          expect(new Map([...live].map(([id, a]) => [id, JSON.stringify(a)]))).toEqual(new Map([...want].map(([id, a]) => [id, JSON.stringify(a)])));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** How many batches of source `s` the first `step` steps delivered. */
function countUpTo(order: readonly number[], s: number, step: number): number {
  let n = 0;
  for (let k = 0; k < step; k++) if (order[k] === s) n++;
  return n;
}

function cmpBrief(a: ReturnType<typeof brief>, b: ReturnType<typeof brief>): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return a.at - b.at || (x < y ? -1 : x > y ? 1 : 0);
}

describe('one count per event and rule', () => {
  it('two sessions delivering the same lines to one rule count each line once', () => {
    const thr = rule({ id: 'thr', logGroups: ['/a'], window: { type: 'threshold', count: 3, within: '1m' } });
    const engine = new LiveEngine({ rules: [thr] });
    const lines = [ev(1, 'ERROR x', { logGroup: '/a' }), ev(2, 'ERROR y', { logGroup: '/a' })];
    const alerts = [
      ...engine.receive({ source: 's1', rules: ['thr'], events: lines, watermark: T0 + 5_000 }),
      ...engine.receive({ source: 's2', rules: ['thr'], events: [...lines].reverse(), watermark: T0 + 5_000 }),
      ...engine.receive({ source: 's1', rules: ['thr'], events: [], watermark: T0 + 10_000 }),
      ...engine.receive({ source: 's2', rules: ['thr'], events: [], watermark: T0 + 10_000 }),
    ];
    expect(alerts).toEqual([]);
    expect(engine.counters.rules.get('thr')!.received).toBe(2);
  });

  it('a session reaches only the rules it serves, though others read the same log group', () => {
    const a = rule({ id: 'a', logGroups: ['/g'], window: { type: 'threshold', count: 2, within: '1m' } });
    const b = rule({ id: 'b', logGroups: ['/g'], window: { type: 'threshold', count: 2, within: '1m' } });
    const engine = new LiveEngine({ rules: [a, b] });
    const line = ev(1, 'ERROR', { logGroup: '/g' });
    const fired = [
      ...engine.receive({ source: 'sa', rules: ['a'], events: [line], watermark: T0 + 5_000 }),
      ...engine.receive({ source: 'sb', rules: ['b'], events: [line], watermark: T0 + 5_000 }),
    ];
    expect(fired).toEqual([]);
    expect([engine.counters.rules.get('a')!.received, engine.counters.rules.get('b')!.received]).toEqual([1, 1]);
  });

  it('identical lines count as often as the session that saw most of them delivered them', () => {
    const thr = rule({ id: 'thr', logGroups: ['/a'], window: { type: 'threshold', count: 3, within: '1m' } });
    const engine = new LiveEngine({ rules: [thr] });
    const same = ev(1, 'ERROR same', { logGroup: '/a' });
    const fired = [
      ...engine.receive({ source: 's1', rules: ['thr'], events: [same, same], watermark: undefined }),
      ...engine.receive({ source: 's2', rules: ['thr'], events: [same, same, same], watermark: T0 + 5_000 }),
      ...engine.receive({ source: 's1', rules: ['thr'], events: [], watermark: T0 + 5_000 }),
    ];
    expect(fired.map((r) => r.alert.count)).toEqual([3]);
  });
});

describe('what a rule holds until its watermark', () => {
  it('only the events it may match: the rest of its log group is counted as received and forgotten', () => {
    const errors = rule({ id: 'errors', logGroups: ['/g'], filterPattern: '{ $.level = "ERROR" }', window: { type: 'threshold', count: 2, within: '1m' } });
    const s2 = rule({ id: 's2', logGroups: ['/g'], logStreams: ['s2'] });
    const all = rule({ id: 'all', logGroups: ['/g'], window: { type: 'threshold', count: 1000, within: '1m' } });
    const engine = new LiveEngine({ rules: [errors, s2, all] });
    const info = Array.from({ length: 100 }, (_, i) => ev(1 + i / 100, { level: 'INFO', i }, { logGroup: '/g' }));
    const hits = [ev(2, { level: 'ERROR', i: 1 }, { logGroup: '/g' }), ev(3, { level: 'ERROR', i: 2 }, { logGroup: '/g' })];
    const rules = ['errors', 's2', 'all'];
    expect(engine.receive({ source: 's', rules, events: [...info, ...hits], watermark: undefined })).toEqual([]);
    expect([engine.pendingOf('errors'), engine.pendingOf('s2'), engine.pendingOf('all')]).toEqual([2, 0, 102]);
    // Rejected on arrival: counted as received (s2's stream filter does not route s1 to it at all).
    expect(engine.counters.rules.get('errors')!.received).toBe(100);
    expect(engine.counters.rules.get('s2')!.received).toBe(0);
    const fired = engine.receive({ source: 's', rules, events: [], watermark: T0 + 5_000 });
    expect(fired.map((r) => [r.alert.rule.id, r.alert.count])).toEqual([['errors', 2]]);
    expect([engine.pendingOf('errors'), engine.pendingOf('all')]).toEqual([0, 0]);
    expect([engine.counters.rules.get('errors')!.received, engine.counters.rules.get('errors')!.matched]).toEqual([102, 2]);
  });
});

describe('watermarks: a rule never decides on what its sessions have not covered', () => {
  const hb = rule({ id: 'hb', logGroups: ['/hb'], resolve: true, throttle: '5m', window: { type: 'absence', within: '30s' } });
  const beat = (sec: number) => ev(sec, 'beat', { logGroup: '/hb' });

  it('while its session is down, absence waits; the backfill of the downtime then shows the heartbeats', () => {
    const engine = new LiveEngine({ rules: [hb] });
    const out = engine.receive({ source: 's', rules: ['hb'], events: [beat(0), beat(15)], watermark: T0 + 20_000 });
    // Down from 20 s to 200 s: the watermark holds at 20 s whatever the wall clock says.
    expect(engine.clockOf('hb')).toBe(T0 + 20_000);
    const back = engine.receive({ source: 's', rules: ['hb'], events: Array.from({ length: 12 }, (_, i) => beat(30 + i * 15)), watermark: T0 + 200_000 });
    expect([...out, ...back]).toEqual([]);
  });

  it('a gap that cannot be backfilled is skipped: no absence decided on it, a full window after it counts', () => {
    const engine = new LiveEngine({ rules: [hb] });
    engine.receive({ source: 's', rules: ['hb'], events: [beat(0)], watermark: T0 + 10_000 });
    const skipped = engine.receive({ source: 's', rules: ['hb'], events: [], watermark: T0 + 600_000, lost: { from: T0 + 10_000, to: T0 + 600_000 } });
    expect(skipped).toEqual([]);
    expect(engine.live.gaps).toBe(1);
    // Nothing after the gap either: absent once a full window passed after it.
    const later = engine.receive({ source: 's', rules: ['hb'], events: [], watermark: T0 + 700_000 });
    expect(later.map((r) => [r.alert.kind, (Date.parse(r.alert.firedAt) - T0) / 1000])).toEqual([['firing', 630]]);
  });

  it('an event that arrives after its rule decided past it is late: counted, not evaluated', () => {
    const each = rule({ id: 'each', logGroups: ['/a'] });
    const engine = new LiveEngine({ rules: [each] });
    engine.receive({ source: 's', rules: ['each'], events: [], watermark: T0 + 10_000 });
    expect(engine.receive({ source: 's', rules: ['each'], events: [ev(5, 'x', { logGroup: '/a' })], watermark: T0 + 11_000 })).toEqual([]);
    expect(engine.live.late).toBe(1);
  });
});

describe('episodes across a reload', () => {
  const thr = rule({ id: 'thr', logGroups: ['/a'], resolve: true, throttle: '10m', window: { type: 'threshold', count: 2, within: '1m', groupBy: ['$.h'] } });
  const hit = (sec: number) => ev(sec, { h: 'h1' }, { logGroup: '/a' });
  const fired = () => {
    const engine = new LiveEngine({ rules: [thr] });
    const out = engine.receive({ source: 's', rules: ['thr'], events: [hit(1), hit(2)], watermark: T0 + 5_000 });
    expect(out.map((r) => r.alert.kind)).toEqual(['firing']);
    return engine;
  };

  it('a rule whose count changed keeps its open episode: its resolved still comes', () => {
    const engine = fired();
    expect(engine.reload([{ ...thr, window: { ...thr.window!, count: 5 } as never }])).toEqual([]);
    const out = engine.receive({ source: 's', rules: ['thr'], events: [], watermark: T0 + 120_000 });
    expect(out.map((r) => [r.alert.kind, r.alert.group, (Date.parse(r.alert.firedAt) - T0) / 1000])).toEqual([['resolved', { h: 'h1' }, 62]]);
  });

  it('a removed rule resolves its open episodes with reason rule-removed', () => {
    const engine = fired();
    const out = engine.reload([]);
    expect(out.map((r) => [r.alert.kind, r.alert.rule.id, r.alert.group, r.alert.reason])).toEqual([['resolved', 'thr', { h: 'h1' }, 'rule-removed']]);
    expect(engine.ruleIds).toEqual([]);
  });

  it('a rule whose groupBy changed resolves its open episodes with reason rule-changed', () => {
    const engine = fired();
    const out = engine.reload([{ ...thr, window: { ...thr.window!, groupBy: ['$.host'] } as never }]);
    expect(out.map((r) => [r.alert.kind, r.alert.reason])).toEqual([['resolved', 'rule-changed']]);
  });
});

describe('ties', () => {
  it('a rule decides the same whatever other rules’ events share its millisecond', () => {
    const hb = rule({ id: 'hb', logGroups: ['/hb'], window: { type: 'absence', within: '4s' } });
    const other = rule({ id: 'other', logGroups: ['/x'] });
    const engine = new Engine({ rules: [hb, other] });
    const out = [
      ...engine.ingest(ev(0, 'beat', { logGroup: '/hb' })),
      // Another rule's event at 4 s, the moment hb's absence falls due, then hb's own beat at 4 s.
      ...engine.ingest(ev(4, 'x', { logGroup: '/x' })),
      ...engine.ingest(ev(4, 'beat', { logGroup: '/hb' })),
      ...engine.advanceTo(T0 + 4_000),
    ];
    expect(out.map((r) => r.alert.rule.id)).toEqual(['other']);
  });
});
