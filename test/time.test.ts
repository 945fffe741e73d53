/** The Timers port's two implementations behave alike where tests rely on it. */
import { describe, expect, it } from 'vitest';
import { after, realTimers } from '../src/time.js';
import { SteppedClock } from './kit/stepped-clock.js';

describe('the stepped clock', () => {
  it('runs due timers in time order, each at its own instant, including those armed on the way', async () => {
    const c = new SteppedClock(0);
    const ran: string[] = [];
    c.setTimeout(() => ran.push(`b@${c.now()}`), 20);
    c.setTimeout(() => {
      ran.push(`a@${c.now()}`);
      c.setTimeout(() => ran.push(`c@${c.now()}`), 5);
    }, 10);
    const late = c.setTimeout(() => ran.push('late'), 31);
    await c.advance(30);
    expect(ran).toEqual(['a@10', 'c@15', 'b@20']);
    expect(c.now()).toBe(30);
    c.clearTimeout(late);
    await c.advance(100);
    expect(ran).toHaveLength(3);
    expect(c.pending()).toBe(0);
  });

  it('sleep resolves when the clock passes it, or at once when its signal aborts', async () => {
    const c = new SteppedClock(0);
    let woke = false;
    const s = c.sleep(1_000).then(() => (woke = true));
    await c.advance(999);
    expect(woke).toBe(false);
    await c.advance(1);
    await s;
    expect(woke).toBe(true);
    const ac = new AbortController();
    const aborted = c.sleep(60_000, ac.signal);
    ac.abort();
    await aborted;
    expect(c.pending()).toBe(0);
  });

  it('after() arms a timer and returns its cancel function', async () => {
    const c = new SteppedClock(0);
    const ran: number[] = [];
    after(c, 10, () => ran.push(c.now()));
    const cancel = after(c, 20, () => ran.push(-1));
    cancel();
    await c.advance(30);
    expect(ran).toEqual([10]);
  });

  it('runWhile steps the clock until the work settles', async () => {
    const c = new SteppedClock(0);
    expect(await c.runWhile(c.sleep(5_000).then(() => c.now()), 100)).toBe(5_000);
  });
});

describe('the real timers', () => {
  it('sleep ends early on abort and clearTimeout cancels', async () => {
    let fired = false;
    realTimers.clearTimeout(realTimers.setTimeout(() => (fired = true), 1));
    const ac = new AbortController();
    const t0 = Date.now();
    const p = realTimers.sleep(60_000, ac.signal, { unref: true });
    ac.abort();
    await p;
    expect(Date.now() - t0).toBeLessThan(5_000);
    await realTimers.sleep(5);
    expect(fired).toBe(false);
  });
});
