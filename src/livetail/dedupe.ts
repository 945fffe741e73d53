/**
 * Duplicate detection across the seam between a gap's backfill and the live
 * stream. Live Tail results carry no eventId, so events are keyed by
 * (group, stream, timestamp, message). Counted and bounded (oldest keys
 * forgotten first), so identical lines are kept as often as they occur.
 */
import type { LogEvent } from '../engine/event.js';

export function eventKey(e: LogEvent): string {
  return `${e.logGroup}\u0000${e.logStream}\u0000${e.timestamp}\u0000${e.message}`;
}

export class BoundedCounts {
  private readonly counts = new Map<string, number>();
  constructor(private readonly cap: number) {}
  add(key: string): void {
    const n = this.counts.get(key);
    if (n !== undefined) {
      this.counts.delete(key);
      this.counts.set(key, n + 1);
    } else {
      this.counts.set(key, 1);
      if (this.counts.size > this.cap) this.counts.delete(this.counts.keys().next().value as string);
    }
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  /** Raises the count to `n` (never lowers it), as the newest key. */
  raiseTo(key: string, n: number): void {
    const have = this.counts.get(key) ?? 0;
    if (n <= have) return;
    this.counts.delete(key);
    this.counts.set(key, n);
    if (this.counts.size > this.cap) this.counts.delete(this.counts.keys().next().value as string);
  }
  /** True (and one copy consumed) when the key was there. */
  take(key: string): boolean {
    const n = this.counts.get(key);
    if (n === undefined) return false;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
    return true;
  }
  get size(): number {
    return this.counts.size;
  }
  clear(): void {
    this.counts.clear();
  }
}
