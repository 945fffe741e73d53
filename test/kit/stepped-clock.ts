/**
 * A clock that moves only when the test says so, for code that takes a
 * `Timers` (src/time.ts): `advance(ms)` runs the timers that fall due, in
 * time order, each at its own instant (`now()` reads the timer's time while
 * it runs), and lets the event loop turn after each, so promise chains and
 * `setImmediate` batches it started run before the next timer. Real I/O
 * (sockets, files) still takes real time: wait for it with `until`.
 */
import { sleepOn, type TimerHandle, type TimerOptions, type Timers } from '../../src/time.js';

interface Armed {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class SteppedClock implements Timers {
  private t: number;
  private seq = 0;
  private readonly armed = new Map<number, Armed>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number, _opts?: TimerOptions): TimerHandle {
    const id = ++this.seq;
    this.armed.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.armed.delete(handle as unknown as number);
  }

  sleep(ms: number, signal?: AbortSignal, opts?: TimerOptions): Promise<void> {
    return sleepOn(this, ms, signal, opts);
  }

  /** Timers armed and not yet run. */
  pending(): number {
    return this.armed.size;
  }

  /** When the next timer is due (undefined: none armed). */
  nextAt(): number | undefined {
    let at: number | undefined;
    for (const a of this.armed.values()) if (at === undefined || a.at < at) at = a.at;
    return at;
  }

  /**
   * Moves the clock `ms` forward, running every timer due by then (also those armed on the way).
   * Until the first due timer the move is synchronous: `void clock.advance(ms)` inside a callback
   * makes time pass "during" it (a receiver that answers late).
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + Math.max(0, ms);
    for (;;) {
      const next = this.due(end);
      if (!next) break;
      this.armed.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await turns();
    }
    this.t = end;
    await turns();
  }

  /** Moves the clock to `at` (no-op when it is past). */
  advanceTo(at: number): Promise<void> {
    return this.advance(Math.max(0, at - this.t));
  }

  /**
   * Steps the clock `stepMs` at a time (letting real I/O progress between
   * steps) until `work` settles; at most `maxMs` of clock time.
   */
  async runWhile<T>(work: Promise<T>, stepMs = 10, maxMs = 600_000): Promise<T> {
    let settled = false;
    const done = work.finally(() => (settled = true));
    const limit = this.t + maxMs;
    while (!settled && this.t < limit) {
      await this.advance(stepMs);
      await new Promise((r) => setTimeout(r, 1));
    }
    return done;
  }

  private due(end: number): Armed | undefined {
    let best: Armed | undefined;
    for (const a of this.armed.values()) if (a.at <= end && (!best || a.at < best.at || (a.at === best.at && a.id < best.id))) best = a;
    return best;
  }
}

/** A few turns of the event loop: promise continuations and setImmediate callbacks queued by a timer run. */
async function turns(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
}
