/**
 * The FilterLogEvents budget of one account and region: a token bucket
 * (`aws.filterLogEventsPerSecond` calls a second, bursts of as many) shared by
 * every session's gap backfills and sampled-second completions, because the
 * service's quota is per account and region, not per session. Live-critical
 * work goes first: a waiting backfill is served before any waiting
 * completion, a completion before any waiting poll (polled rules).
 * Time and timers come in from the caller (tests step them); its wake-up
 * timer does not keep the process alive.
 */
import { after, realTimers, type Timers } from '../time.js';

export type FilterCallKind = 'backfill' | 'completion' | 'poll';

/** Lower is served first. */
const RANK: Readonly<Record<FilterCallKind, number>> = { backfill: 0, completion: 1, poll: 2 };

interface Waiter {
  readonly kind: FilterCallKind;
  readonly resolve: (granted: boolean) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class FilterBudget {
  private tokens: number;
  private last: number;
  private readonly waiting: Waiter[] = [];
  private cancelWake: (() => void) | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly timers: Timers = realTimers,
  ) {
    this.tokens = Math.max(1, perSecond);
    this.last = timers.now();
  }

  /** Calls waiting for a token now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves true when a call may go out; false when `signal` aborted first. */
  acquire(kind: FilterCallKind, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        kind,
        resolve,
        signal,
        onAbort: () => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(false);
        },
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      // Backfills, then completions, then polls; first come, first served within a kind.
      const at = this.waiting.findIndex((x) => RANK[x.kind] > RANK[kind]);
      if (at < 0) this.waiting.push(w);
      else this.waiting.splice(at, 0, w);
      this.wake();
    });
  }

  private refill(): void {
    const now = this.timers.now();
    const cap = Math.max(1, this.perSecond);
    this.tokens = Math.min(cap, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private wake(): void {
    this.refill();
    while (this.waiting.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      const w = this.waiting.shift()!;
      w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(true);
    }
    this.cancelWake?.();
    this.cancelWake = undefined;
    if (this.waiting.length > 0) {
      const ms = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
      this.cancelWake = after(
        this.timers,
        ms,
        () => {
          this.cancelWake = undefined;
          this.wake();
        },
        { unref: true },
      );
    }
  }
}
