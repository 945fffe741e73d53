/**
 * What a send's outcome does to its outbox rows (pure: the clock and the
 * randomness are parameters). The notifier said *whether* a retry could help;
 * this decides *when*, within `delivery.maxAge`:
 *
 * - `ack`: delivered (2xx);
 * - `interrupted`: aborted by shutdown mid-send: due again at once, for the
 *   next start (not a receiver failure, not counted);
 * - `dead`: a permanent failure, or the rows aged past maxAge while in flight;
 * - `retry-later`: backoff (or the receiver's Retry-After, when longer),
 *   never past the oldest row's maxAge and never in the past.
 *
 * A Retry-After also holds the whole destination (`pauseUntil`), whatever
 * happens to these rows.
 */
import { retryDelay, type RetryPolicy } from './backoff.js';
import type { SendOutcome } from './notifier.js';

export type Verdict =
  | { readonly kind: 'ack' }
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'dead'; readonly cause: 'permanent' | 'max-age'; readonly pauseUntil?: number | undefined }
  | { readonly kind: 'retry-later'; readonly dueAt: number; readonly pauseUntil?: number | undefined };

export interface VerdictInput {
  readonly outcome: SendOutcome;
  /** The send was aborted by shutdown. */
  readonly aborted: boolean;
  /** The rows sent (one, or a digest's): their failed attempts so far (this one included) and enqueue times. */
  readonly rows: readonly { readonly attempts: number; readonly createdAt: number }[];
  readonly now: number;
  readonly policy: RetryPolicy;
  readonly maxAgeMs: number;
  readonly random: () => number;
}

export function verdict(i: VerdictInput): Verdict {
  const { outcome, now: t } = i;
  if (outcome.ok) return { kind: 'ack' };
  if (i.aborted) return { kind: 'interrupted' };
  if (!outcome.retry) return { kind: 'dead', cause: 'permanent' };
  const pauseUntil = outcome.retryAfterMs === undefined ? undefined : t + outcome.retryAfterMs;
  // Past maxAge already (it aged while in flight): dropped now, not retried.
  const cut = t - i.maxAgeMs;
  let oldestFresh = Infinity;
  let attempts = 0;
  for (const r of i.rows) {
    attempts = Math.max(attempts, r.attempts);
    if (r.createdAt >= cut) oldestFresh = Math.min(oldestFresh, r.createdAt);
  }
  if (oldestFresh === Infinity) return { kind: 'dead', cause: 'max-age', pauseUntil };
  // Never sleep past an alert's maxAge: it is dropped (logged, counted) when it expires. The oldest
  // row still within maxAge sets the limit, so the retry is always in the future (rows of a digest
  // that are older are dropped when it is leased again).
  const delay = retryDelay(i.policy, attempts, i.random, outcome.retryAfterMs);
  return { kind: 'retry-later', dueAt: Math.min(t + delay, oldestFresh + i.maxAgeMs + 1), pauseUntil };
}
