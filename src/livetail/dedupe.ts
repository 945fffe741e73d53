/**
 * Duplicate detection across the seam between a gap's backfill and the live
 * stream. Live Tail results carry no eventId, so events are keyed by
 * (group, stream, timestamp, message). Counted and bounded (oldest keys
 * forgotten first), so identical lines are kept as often as they occur.
 *
 * The key is the SHA-256 digest of that tuple (32 bytes as a 32-character
 * latin1 string), not the tuple itself: 20,000 keys × 2 maps per session
 * held whole messages (tens of MB at 15 sessions of 500-byte lines); a
 * digest is ~50 bytes whatever the line. Same semantics: two events share a
 * key only if group, stream, timestamp and message are all equal, short of
 * a SHA-256 collision (about 2^-200 for 40,000 keys; not constructible, so
 * a crafted log line cannot make another event look like a duplicate).
 * Cost: about 1 µs per event. A line with a lone surrogate (not valid
 * UTF-16; never in real CloudWatch data) keeps the whole tuple as its key.
 */
import { hash } from 'node:crypto';
import type { LogEvent } from '../engine/event.js';

export function eventKey(e: LogEvent): string {
  const tuple = `${e.logGroup}\u0000${e.logStream}\u0000${e.timestamp}\u0000${e.message}`;
  // UTF-8 (what the digest hashes) would fold lone surrogates into U+FFFD; such a (rare) line keeps
  // its tuple as the key: it holds a char > U+00FF, so it can never equal a latin1 digest.
  if (!(tuple as unknown as { isWellFormed(): boolean }).isWellFormed()) return tuple;
  return hash('sha256', tuple, 'binary');
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
