/**
 * A token bucket per paced destination (Slack: ~1 message a second with a
 * small burst), plus the digest decision: when more alerts are due than the
 * destination can take in `digestAfterSeconds`, they fold into one message.
 * Pure: the caller passes the clock.
 */
import type { Pacing } from './notifier.js';

export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(private readonly pacing: Pacing, now: number) {
    this.tokens = pacing.burst;
    this.at = now;
  }
  /** Ms until a message may go (0: now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.pacing.perSecond);
  }
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }
  /** A 429: the receiver is full; nothing goes until it says. */
  empty(now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
  }
  private refill(now: number): void {
    if (now > this.at) this.tokens = Math.min(this.pacing.burst, this.tokens + ((now - this.at) / 1000) * this.pacing.perSecond);
    this.at = Math.max(this.at, now);
  }
}

/** How many alerts the next message should carry, given how many are due. */
export function batchSize(pacing: Pacing | undefined, due: number): number {
  if (!pacing || due <= 1) return 1;
  return due > pacing.perSecond * pacing.digestAfterSeconds ? Math.min(due, pacing.digestMax) : 1;
}

/** Longest a lane sleeps before looking again (a safety net; wake-ups are computed). */
export const MAX_SLEEP_MS = 60_000;

/**
 * How long a lane sleeps: until its next row is due (or a lease expires) but
 * not before a Retry-After pause ends; undefined when nothing is pending.
 */
export function wakeDelay(nextDue: number | undefined, pausedUntil: number, now: number): number | undefined {
  if (nextDue === undefined) return undefined;
  return Math.min(MAX_SLEEP_MS, Math.max(0, Math.max(nextDue, pausedUntil) - now));
}
