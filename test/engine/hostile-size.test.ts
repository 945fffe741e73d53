/**
 * Huge log lines: a group keeps its samples and last event cut to 16 KiB (not only the alert
 * shows them cut), alert ids still cover the whole line, rendered texts are cut, and the state
 * file has a size bound beyond which the least recently seen groups lose their samples first.
 * The attack of the review at a smaller scale: 100 KB lines over many groupBy keys.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import { alertId } from '../../src/engine/alert-build.js';
import { Engine } from '../../src/engine/engine.js';
import type { LogEvent } from '../../src/model/event.js';
import { LiveEngine } from '../../src/engine/live.js';
import { serializeState, type EngineState } from '../../src/engine/state.js';
import { ev, feed, rule, T0 } from '../kit/rules.js';

const KB100 = 100 * 1024;
/** A JSON line of about `size` characters for groupBy key `user`. */
const big = (sec: number, user: string, size = KB100, extra = ''): LogEvent => ev(sec, `{"user":"${user}","n":${sec}${extra},"pad":"${'x'.repeat(size)}"}`);

const grouped = rule({ id: 'by-user', throttle: '0s', window: { type: 'threshold', count: 1000, within: '1h', groupBy: ['$.user'] } });

function keptMessages(state: EngineState): string[] {
  return state.rules.flatMap((r) => r.groups.flatMap((g) => [...g.samples, ...(g.lastEvent ? [g.lastEvent] : [])].map((e) => e.message)));
}

describe('a group keeps huge lines cut', () => {
  it('samples and last event are at most 16 KiB + "…" in the engine and in its state', () => {
    const engine = new Engine({ rules: [grouped] });
    feed(engine, [0, 1, 2, 3, 4, 5, 6].map((i) => big(i, `u${i % 2}`, 1_000_000)));
    const state = engine.exportState();
    const messages = keptMessages(state);
    expect(messages).toHaveLength(4 + 3 + 2); // u0: 4 samples, u1: 3, and each group's last event
    // Kept without the "…" (a one-byte string in V8), which alerts add.
    for (const m of messages) expect([m.length, m.endsWith('xxx')]).toEqual([16_384, true]);
    expect(JSON.stringify(state).length).toBeLessThan(200_000);
    const [a] = feed(new Engine({ rules: [rule({ throttle: '0s', message: '1 matching event(s). Last: {{event.message}}' })] }), [big(0, 'u0', 1_000_000)]);
    const whole = big(0, 'u0', 1_000_000).message;
    expect(a!.events[0]!.message).toBe(whole.slice(0, 16_384) + '…');
    expect(a!.text).toBe(`1 matching event(s). Last: ${whole}`.slice(0, 16_384) + '…');
  });

  it('never splits a surrogate pair when cutting', () => {
    const engine = new Engine({ rules: [rule({ throttle: '0s', message: '{{event.message}}' })] });
    const [a] = feed(engine, [ev(0, 'x'.repeat(16_383) + '😀'.repeat(10))]);
    expect(a!.events[0]!.message).toBe('x'.repeat(16_383) + '…');
    expect(a!.text).toBe('x'.repeat(16_383) + '…');
  });

  it('the alert id covers the whole last line: the same as for the uncut event, different for lines that differ after 16 KiB', () => {
    const r = rule({ id: 'every', throttle: '0s' });
    const a = ev(0, 'E'.repeat(50_000) + 'a');
    const b = ev(0, 'E'.repeat(50_000) + 'b', { logStream: 's1' });
    const alerts = feed(new Engine({ rules: [r] }), [a, b]);
    expect(alerts.map((x) => x.id)).toEqual([alertId('every', '', 'firing', a.timestamp, a), alertId('every', '', 'firing', b.timestamp, b)]);
    expect(alerts[0]!.id).not.toBe(alerts[1]!.id);
  });

  it('restarts (export → JSON → restore) at any point decide the same alerts, ids included, as an engine that never stopped', () => {
    const rules = [
      rule({ id: 'thr', throttle: '0s', resolve: true, window: { type: 'threshold', count: 3, within: '10s', groupBy: ['$.user'] }, message: '{{event.fields.user}} {{event.fields.n}}' }),
      rule({ id: 'abs', throttle: '0s', resolve: true, window: { type: 'absence', within: '5s', groupBy: ['$.user'] }, message: '{{event.message}}' }),
    ];
    const events = Array.from({ length: 24 }, (_, i) => big(i * 1.5, `u${i % 3}`, 40_000));
    const straight = feed(new Engine({ rules }), events, 100);
    expect(straight.find((a) => a.rule.id === 'thr')!.text).toBe('u0 9');
    for (let cut = 0; cut <= events.length; cut += 5) {
      const first = new Engine({ rules });
      const a = feed(first, events.slice(0, cut));
      const restored = new Engine({ rules, state: JSON.parse(JSON.stringify(first.exportState())) as EngineState });
      expect([...a, ...feed(restored, events.slice(cut), 100)]).toEqual(straight);
    }
  });

  it('an older state holding whole messages restores to the same alerts', () => {
    const rules = [rule({ id: 'thr', throttle: '0s', resolve: true, window: { type: 'threshold', count: 3, within: '10s', groupBy: ['$.user'] }, message: '{{event.fields.n}}' })];
    const events = [big(0, 'u', 40_000), big(1, 'u', 40_000), big(2, 'u', 40_000)];
    const straight = feed(new Engine({ rules }), events, 100);
    const first = new Engine({ rules });
    feed(first, events.slice(0, 2));
    const state = first.exportState();
    // As written before groups cut what they keep: whole messages, no digest.
    const whole = (e: LogEvent) => ({ timestamp: e.timestamp, logGroup: e.logGroup, logStream: e.logStream, message: events.find((x) => x.timestamp === e.timestamp)!.message });
    const old = { ...state, rules: state.rules.map((r) => ({ ...r, groups: r.groups.map((g) => ({ ...g, samples: g.samples.map(whole), lastEvent: g.lastEvent && whole(g.lastEvent) })) })) };
    expect(JSON.stringify(old).length).toBeGreaterThan(80_000);
    expect(feed(new Engine({ rules, state: old }), events.slice(2), 100)).toEqual(straight.filter((a) => Date.parse(a.firedAt) >= events[2]!.timestamp));
  });

  it('the daemon’s LiveEngine decides the ids replay decides', () => {
    const events = Array.from({ length: 12 }, (_, i) => big(i, `u${i % 2}`, 30_000));
    const r = rule({ id: 'thr', throttle: '0s', window: { type: 'threshold', count: 2, within: '10s', groupBy: ['$.user'] } });
    const replay = feed(new Engine({ rules: [r] }), events, 60);
    const live = new LiveEngine({ rules: [r] });
    const out: Alert[] = [];
    for (const e of events) out.push(...live.receive({ source: 's', rules: ['thr'], events: [e], watermark: e.timestamp }).map((x) => x.alert));
    out.push(...live.receive({ source: 's', rules: ['thr'], events: [], watermark: T0 + 60_000 }).map((x) => x.alert));
    expect(out.map((a) => a.id)).toEqual(replay.map((a) => a.id));
    expect(out).toHaveLength(6);
  });
});

describe('rendered texts', () => {
  it('are cut at 16 KiB with "…", whatever the template repeats', () => {
    const r = rule({ throttle: '0s', title: '{{event.message}}', message: '{{event.message}} / {{event.message}} / {{event.fields.pad}}' });
    const [a] = feed(new Engine({ rules: [r] }), [big(0, 'u', 1_000_000)]);
    for (const t of [a!.title, a!.text]) {
      expect(t.length).toBe(16_385);
      expect(t.endsWith('…')).toBe(true);
    }
  });

  it('event.fields of a cut line still render (read from the whole line when it was kept)', () => {
    const r = rule({ throttle: '0s', window: { type: 'threshold', count: 2, within: '1m', groupBy: ['$.user'] }, message: '{{event.fields.user}}/{{event.fields.tail}}/{{event.fields.nope}}' });
    const engine = new Engine({ rules: [r] });
    feed(engine, [big(0, 'u1', 50_000, ',"tail":"T1"')]);
    const restored = new Engine({ rules: [r], state: JSON.parse(JSON.stringify(engine.exportState())) as EngineState });
    const [a] = feed(restored, [ev(1, { user: 'u1', tail: 'short' })]);
    expect(a!.text).toBe('u1/short/');
    // The firing's last event is the short one; a resolve-free absence shows the cut one's fields.
    const abs = rule({ id: 'abs', window: { type: 'absence', within: '5s' }, message: '{{event.fields.user}}/{{event.fields.tail}}' });
    const e2 = new Engine({ rules: [abs] });
    feed(e2, [big(0, 'u2', 50_000, ',"tail":"T2"')]);
    const e3 = new Engine({ rules: [abs], state: JSON.parse(JSON.stringify(e2.exportState())) as EngineState });
    expect(feed(e3, [], 10).map((x) => x.text)).toEqual(['u2/T2']);
  });
});

describe('the state file’s size bound', () => {
  /** 100 KB lines over `keys` groups, `perKey` each, key k last seen at k (so u0 is the least recently seen). */
  function loaded(keys: number, perKey: number): LiveEngine {
    const live = new LiveEngine({ rules: [grouped] });
    const events = Array.from({ length: keys * perKey }, (_, i) => big(i % keys, `u${i % keys}`)).sort((a, b) => a.timestamp - b.timestamp);
    live.receive({ source: 's', rules: ['by-user'], events, watermark: events.at(-1)!.timestamp });
    return live;
  }

  it('within the bound: nothing is left out, and the text is the state', () => {
    const live = loaded(20, 6);
    const s = serializeState(live.exportState(), 64 * 1024 * 1024);
    expect(s.trimmed).toEqual({ samples: 0, lastEvents: 0 });
    expect(JSON.parse(s.parts.join(''))).toEqual(live.exportState());
    expect(s.bytes).toBe(Buffer.byteLength(s.parts.join('')));
  });

  it('beyond it: the least recently seen groups lose their samples first; the text stays within the bound and restores', () => {
    const live = loaded(100, 6);
    const unbounded = serializeState(live.exportState(), Infinity);
    expect(unbounded.bytes).toBeGreaterThan(8 * 1024 * 1024);
    const max = 2 * 1024 * 1024;
    const s = serializeState(live.exportState(), max);
    const text = s.parts.join('');
    expect(Buffer.byteLength(text)).toBe(s.bytes);
    expect(s.bytes).toBeLessThanOrEqual(max);
    expect(s.overBound).toBe(false);
    expect(s.trimmed.samples).toBeGreaterThan(50);
    expect(s.trimmed.lastEvents).toBe(0);
    const state = JSON.parse(text) as { rules: { groups: { key: string; samples: unknown[] }[] }[] };
    const groups = state.rules[0]!.groups;
    expect(groups).toHaveLength(100);
    const kept = groups.filter((g) => g.samples.length > 0).map((g) => Number(g.key.slice(3)));
    // The most recently seen keep theirs.
    expect(kept.length).toBeGreaterThan(0);
    expect(Math.min(...kept)).toBe(100 - kept.length);
    expect(() => new LiveEngine({ rules: [grouped], state: JSON.parse(text) })).not.toThrow();
  });

  it('a tight bound leaves out last messages too, and the alert ids after a restart do not change', () => {
    const r = rule({ id: 'by-user', throttle: '0s', resolve: true, window: { type: 'threshold', count: 7, within: '1h', groupBy: ['$.user'] } });
    const events = Array.from({ length: 60 }, (_, i) => big(i % 10, `u${i % 10}`)).sort((a, b) => a.timestamp - b.timestamp);
    const more = Array.from({ length: 10 }, (_, i) => big(20 + i, `u${i}`));
    const straight = feed(new Engine({ rules: [r] }), [...events, ...more], 7200);
    expect(straight.map((a) => a.kind)).toEqual([...Array(10).fill('firing'), ...Array(10).fill('resolved')]);
    const first = new Engine({ rules: [r] });
    feed(first, events);
    const s = serializeState(first.exportState(), 20_000);
    expect(s.trimmed).toEqual({ samples: 10, lastEvents: 10 });
    const restored = new Engine({ rules: [r], state: JSON.parse(s.parts.join('')) as EngineState });
    const after = feed(restored, more, 7200);
    expect(after.map((a) => a.id)).toEqual(straight.map((a) => a.id));
  });
});

describe('the Alertmanager body of a 1 MB line', () => {
  it('has its annotations cut to 16 KiB', async () => {
    const { alertmanagerAlert } = await import('../../src/notify/alertmanager/index.js');
    const [a] = feed(new Engine({ rules: [rule({ throttle: '0s', description: 'd'.repeat(20_000) })] }), [ev(0, 'y'.repeat(1_000_000))]);
    const am = alertmanagerAlert(a!, Date.now());
    expect(am.annotations['text']!.length).toBeLessThanOrEqual(16_385);
    expect(am.annotations['description']!.length).toBe(16_385);
    // An alert an older version left in the outbox, with the whole line in its text.
    const old = alertmanagerAlert({ ...a!, text: `1 matching event(s). Last: ${'y'.repeat(1_000_000)}` }, Date.now());
    expect(old.annotations['text']!.length).toBe(16_385);
    expect(JSON.stringify([old]).length).toBeLessThan(60_000);
  });
});
