/**
 * Alerts the daemon decided while the outbox could not store them (a full
 * disk, a read-only or failing state dir): kept in memory in the order they
 * were decided, each with its decision time, and offered to the outbox again
 * with exponential backoff until it takes them — all of them in one write,
 * oldest first, so nothing decided later overtakes them. Bounded: beyond
 * `max` the oldest are dropped and handed back to the caller to count and
 * log. Pure: time enters as parameters, the write as a callback.
 */
import type { RoutedAlert } from '../model/alert.js';

export interface HeldAlert {
  readonly routed: RoutedAlert;
  /** When the engine decided it (the outbox records it as enqueued then). */
  readonly at: number;
}

export interface HeldAlertsOptions {
  /** Most alerts kept; beyond, the oldest are dropped. */
  readonly max: number;
  /** First retry after this long, doubling per failed attempt up to `maxMs`. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

export type FlushResult =
  | { readonly stored: number; readonly unstorable: readonly HeldAlert[] }
  | { readonly error: unknown };

export class HeldAlerts {
  private queue: HeldAlert[] = [];
  private failures = 0;
  private nextAttemptAt = -Infinity;
  /** The last write error while alerts are held (cleared when the outbox takes them). */
  lastError: unknown;

  constructor(private readonly opts: HeldAlertsOptions) {}

  get size(): number {
    return this.queue.length;
  }

  /** The first alert held after a failed write, with its error; backoff starts now. Returns the alerts dropped to stay within `max`. */
  hold(alerts: readonly RoutedAlert[], at: number, error?: unknown): HeldAlert[] {
    for (const routed of alerts) this.queue.push({ routed, at });
    if (error !== undefined) this.failed(at, error);
    const over = this.queue.length - this.opts.max;
    return over > 0 ? this.queue.splice(0, over) : [];
  }

  /** Whether a write should be tried now (something held and the backoff has passed). */
  due(now: number): boolean {
    return this.queue.length > 0 && now >= this.nextAttemptAt;
  }

  /** The earliest time the next attempt may be made. */
  get retryAt(): number {
    return this.nextAttemptAt;
  }

  /**
   * Offers every held alert to `store` in one call. When it throws a storage
   * error (one with a `code`: SQLite's or the file system's) they all stay
   * and the backoff grows; any other error is the alert's own (it cannot be
   * serialized), so they are offered one by one and those that still fail
   * that way are returned as `unstorable` instead of blocking the rest.
   */
  flush(now: number, store: (batch: readonly HeldAlert[]) => void): FlushResult {
    if (this.queue.length === 0) return { stored: 0, unstorable: [] };
    const batch = this.queue;
    try {
      store(batch);
    } catch (err) {
      if (isStorageError(err)) return this.failed(now, err);
      return this.oneByOne(now, store);
    }
    this.queue = [];
    this.reset();
    return { stored: batch.length, unstorable: [] };
  }

  private oneByOne(now: number, store: (batch: readonly HeldAlert[]) => void): FlushResult {
    const unstorable: HeldAlert[] = [];
    let stored = 0;
    while (this.queue.length > 0) {
      const item = this.queue[0]!;
      try {
        store([item]);
        stored++;
      } catch (err) {
        if (isStorageError(err)) return this.failed(now, err);
        unstorable.push(item);
      }
      this.queue.shift();
    }
    this.reset();
    return { stored, unstorable };
  }

  private failed(now: number, error: unknown): FlushResult {
    this.lastError = error;
    const step = Math.min(this.opts.backoff.maxMs, this.opts.backoff.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    this.nextAttemptAt = now + step;
    return { error };
  }

  private reset(): void {
    this.failures = 0;
    this.nextAttemptAt = -Infinity;
    this.lastError = undefined;
  }
}

/** An error of the storage (SQLite's SQLITE_* or a file system errno), not of the data written. */
export function isStorageError(err: unknown): boolean {
  return typeof (err as { code?: unknown } | null)?.code === 'string';
}
