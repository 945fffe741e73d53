/**
 * The window steps on their own (src/engine/windows/): a step counts the event in its series and
 * returns what it decided — a Firing, a Cleared, or nothing — with the window reset for what comes
 * next. The engine-level tests (threshold, spike, absence, throttle-resolve) cover them in rules.
 */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/model/event.js';
import { Series } from '../../src/engine/series.js';
import { absenceDue, absenceEvent, absenceTimer, type AbsenceWindow } from '../../src/engine/windows/absence.js';
import { noneEvent } from '../../src/engine/windows/none.js';
import { spikeEvent, type SpikeWindow } from '../../src/engine/windows/spike.js';
import { thresholdEvent, thresholdTimer, type ThresholdWindow } from '../../src/engine/windows/threshold.js';

const at = (timestamp: number, message = `m${timestamp}`): LogEvent => ({ timestamp, logGroup: '/app', logStream: 's', message });
const common = { withinMs: 60_000, groupBy: [], maxGroups: 100 };

describe('window steps', () => {
  it('threshold: nothing below the count, a Firing at the event that reaches it, then an empty window', () => {
    const w: ThresholdWindow = { type: 'threshold', count: 3, ...common };
    const s = new Series('', {});
    expect(thresholdEvent(s, at(1_000), 1_000, w, undefined)).toBeUndefined();
    expect(thresholdEvent(s, at(2_000), 2_000, w, undefined)).toBeUndefined();
    const f = thresholdEvent(s, at(3_000), 3_000, w, undefined);
    expect(f).toMatchObject({ kind: 'firing', at: 3_000, count: 3, first: 1_000, last: 3_000, sampled: false });
    expect(f!.samples.map((e) => e.timestamp)).toEqual([1_000, 2_000, 3_000]);
    expect([s.buckets.total, s.samples.length]).toEqual([0, 0]);
    // An event a whole window behind the clock is too late to count.
    expect(thresholdEvent(s, at(3_000), 63_000, w, undefined)).toBeUndefined();
    expect(s.buckets.total).toBe(0);
  });

  it('threshold timer: an open episode clears a full window after its last firing, with the last window count', () => {
    const w: ThresholdWindow = { type: 'threshold', count: 3, ...common };
    const s = new Series('', {});
    thresholdEvent(s, at(50_000), 50_000, w, undefined);
    s.open = true;
    s.lastFireAt = 10_000;
    expect(thresholdTimer(s, 69_999, w)).toBeUndefined();
    expect(thresholdTimer(s, 70_000, w)).toEqual({ kind: 'resolved', at: 70_000, count: 1 });
    s.open = false;
    expect(thresholdTimer(s, 200_000, w)).toBeUndefined();
  });

  it('spike: fires on factor × the previous window, then what it counted is the baseline only', () => {
    const w: SpikeWindow = { type: 'spike', factor: 2, minCount: 2, ...common };
    const s = new Series('', {});
    expect(spikeEvent(s, at(10_000), 10_000, w, undefined)).toBeUndefined(); // previous window: 1
    expect(spikeEvent(s, at(80_000), 80_000, w, undefined)).toBeUndefined(); // current: 1 < minCount
    expect(spikeEvent(s, at(81_000), 81_000, w, undefined)).toMatchObject({ kind: 'firing', at: 81_000, count: 2, first: 80_000 });
    expect(spikeEvent(s, at(82_000), 82_000, w, undefined)).toBeUndefined(); // a new spike starts from 1
  });

  it('absence: a Firing once watched a whole window without events; events back clear the open episode', () => {
    const w: AbsenceWindow = { type: 'absence', count: 1, ...common };
    const s = new Series('', {});
    s.firstSeen = 0;
    expect(absenceEvent(s, at(5_000), 5_000, w, undefined)).toBeUndefined();
    expect(absenceDue(s, w, 5_000)).toBe(65_000);
    expect(absenceTimer(s, 64_999, w)).toBeUndefined();
    expect(absenceTimer(s, 65_000, w)).toMatchObject({ kind: 'firing', at: 65_000, count: 0, first: 5_000, last: 5_000 });
    expect([s.absent, absenceDue(s, w, 65_000)]).toEqual([true, undefined]);
    expect(absenceTimer(s, 200_000, w)).toBeUndefined(); // fires once
    s.open = true;
    s.lastFireAt = 65_000;
    expect(absenceEvent(s, at(70_000), 70_000, w, undefined)).toEqual({ kind: 'resolved', at: 70_000, count: 1 });
    expect([s.absent, absenceDue(s, w, 70_000)]).toEqual([false, 130_000]);
  });

  it('none: every event is a Firing of its own, sampled as the event is', () => {
    const s = new Series('', {});
    expect(noneEvent(s, { ...at(7), sampled: true }, undefined)).toMatchObject({ kind: 'firing', at: 7, count: 1, first: 7, last: 7, sampled: true });
    expect(noneEvent(s, at(8), undefined)).toMatchObject({ at: 8, sampled: false });
    expect(s.sampled).toBe(false);
  });
});
