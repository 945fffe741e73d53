import { describe, expect, it } from 'vitest';
import { FilterBudget } from '../../src/livetail/budget.js';
import { SteppedClock } from '../kit/stepped-clock.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('the FilterLogEvents budget of an account and region', () => {
  it('lets a burst of `perSecond` calls through, then one call every 1/perSecond s', async () => {
    const timers = new SteppedClock();
    const budget = new FilterBudget(2, timers);
    const granted: number[] = [];
    for (let i = 0; i < 5; i++) void budget.acquire('completion').then(() => granted.push(i));
    await flush();
    expect(granted).toEqual([0, 1]);
    await timers.advance(499);
    await flush();
    expect(granted).toEqual([0, 1]);
    await timers.advance(1);
    await flush();
    expect(granted).toEqual([0, 1, 2]);
    await timers.advance(1000);
    await flush();
    expect(granted).toEqual([0, 1, 2, 3, 4]);
  });

  it('serves a waiting backfill before waiting completions', async () => {
    const timers = new SteppedClock();
    const budget = new FilterBudget(1, timers);
    const order: string[] = [];
    await budget.acquire('completion');
    void budget.acquire('completion').then(() => order.push('c1'));
    void budget.acquire('completion').then(() => order.push('c2'));
    void budget.acquire('backfill').then(() => order.push('b1'));
    await timers.advance(3000);
    await flush();
    expect(order).toEqual(['b1', 'c1', 'c2']);
  });

  it('serves polls last: after every waiting backfill and completion, first come first served among polls', async () => {
    const timers = new SteppedClock();
    const budget = new FilterBudget(1, timers);
    const order: string[] = [];
    await budget.acquire('poll');
    void budget.acquire('poll').then(() => order.push('p1'));
    void budget.acquire('completion').then(() => order.push('c1'));
    void budget.acquire('poll').then(() => order.push('p2'));
    void budget.acquire('backfill').then(() => order.push('b1'));
    await timers.advance(1000);
    await flush();
    expect(order).toEqual(['b1']);
    await timers.advance(3000);
    await flush();
    expect(order).toEqual(['b1', 'c1', 'p1', 'p2']);
  });

  it('answers false to a waiter whose session stops, and forgets it', async () => {
    const timers = new SteppedClock();
    const budget = new FilterBudget(1, timers);
    await budget.acquire('backfill');
    const ctrl = new AbortController();
    const answer = budget.acquire('completion', ctrl.signal);
    ctrl.abort();
    expect(await answer).toBe(false);
    expect(budget.queued).toBe(0);
  });
});
