/**
 * When the outbox's housekeeping runs and what it removes (pure: the caller
 * passes the time). At most once per `everyMs`, it drops pending rows older
 * than `delivery.maxAge` and purges tombstones (delivered and dead rows) once
 * they are older than both a day and maxAge: until then an alert id enqueued
 * again (re-decided after a restart) finds its tombstone and is not sent twice.
 */
export const HOUSEKEEPING_MS = 1_000;
/** Tombstones keep enqueue idempotent per alert id for this long at least. */
export const TOMBSTONE_MIN_MS = 86_400_000;

export interface HousekeepingCuts {
  /** Pending rows created before this are past maxAge. */
  readonly expireBefore: number;
  /** Tombstones finished before this are purged. */
  readonly purgeBefore: number;
}

export class Housekeeping {
  private last = -Infinity;
  constructor(
    private readonly maxAgeMs: number,
    private readonly everyMs = HOUSEKEEPING_MS,
  ) {}

  /** The cuts when housekeeping is due at `now` (and marks it done), else undefined. */
  due(now: number): HousekeepingCuts | undefined {
    if (now - this.last < this.everyMs) return undefined;
    this.last = now;
    return { expireBefore: now - this.maxAgeMs, purgeBefore: now - Math.max(TOMBSTONE_MIN_MS, this.maxAgeMs) };
  }
}
