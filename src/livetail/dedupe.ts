/**
 * Duplicate detection across the seam between a gap's backfill and the live
 * stream. Live Tail results carry no eventId, so events are keyed by
 * (group, stream, timestamp, message). Counted and bounded (oldest keys
 * forgotten first), so identical lines are kept as often as they occur.
 *
 * Memory: `BoundedCounts` keeps a 128-bit digest of each key (SHA-256 of the
 * key's UTF-16 code units, truncated), in typed arrays, not the key: the
 * keys hold whole messages, and 2 maps × 20,000 keys per session × 15
 * sessions of them were tens of MB (plus GC work). A key costs ~45 bytes
 * whatever the line. Same semantics: two keys count as one only if their
 * digests are equal — a collision chance of about n²/2¹²⁹ (≈ 2·10⁻³⁰ for the
 * 40,000 keys of a session), and SHA-256 is not open to constructed
 * collisions, so no crafted log line can make another event look like a
 * duplicate. Cost: about 1 µs per event.
 */
import { hash } from 'node:crypto';
export { eventKey } from '../model/event.js';

const NONE = -1;

/** The 128-bit digest of a key as four 32-bit words (exact over UTF-16: lone surrogates stay apart). */
function digest(key: string, out: Uint32Array): void {
  const wellFormed = (key as unknown as { isWellFormed(): boolean }).isWellFormed();
  // UTF-8 (the default for strings) is injective on well-formed strings; other strings hash their code units.
  const d = hash('sha256', wellFormed ? key : Buffer.from(key, 'utf16le'), 'buffer');
  out[0] = d.readUInt32LE(0);
  out[1] = d.readUInt32LE(4);
  out[2] = d.readUInt32LE(8);
  out[3] = d.readUInt32LE(12);
}

/**
 * A counted multiset of keys with insertion order (a key that is added or
 * raised again becomes the newest; the oldest is forgotten beyond `cap`),
 * stored as digests in typed arrays with an open-addressing index.
 */
export class BoundedCounts {
  private readonly slots: number;
  /** Four digest words per slot. */
  private readonly words: Uint32Array;
  private readonly counts: Uint32Array;
  /** Insertion order: a doubly linked list of slots, oldest first. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** Open addressing (linear probing, backward-shift deletion): slot + 1, 0 = empty. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly freeSlots: Int32Array;
  private freeTop = 0;
  private fresh = 0;
  private oldest = NONE;
  private newest = NONE;
  private n = 0;
  private readonly scratch = new Uint32Array(4);
  private lastKey: string | undefined;
  private readonly lastDigest = new Uint32Array(4);

  constructor(private readonly cap: number) {
    // One slot more than the cap: a key is inserted before the oldest is forgotten (as a Map would).
    this.slots = Math.max(0, cap) + 1;
    this.words = new Uint32Array(this.slots * 4);
    this.counts = new Uint32Array(this.slots);
    this.prev = new Int32Array(this.slots);
    this.next = new Int32Array(this.slots);
    this.freeSlots = new Int32Array(this.slots);
    let size = 8;
    while (size < this.slots * 2) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
  }

  add(key: string): void {
    const d = this.digestOf(key);
    const at = this.find(d);
    if (at !== NONE) {
      const slot = this.table[at]! - 1;
      this.counts[slot] = this.counts[slot]! + 1;
      this.unlink(slot);
      this.append(slot);
    } else {
      this.insert(d, 1);
    }
  }

  get(key: string): number {
    const at = this.find(this.digestOf(key));
    return at === NONE ? 0 : this.counts[this.table[at]! - 1]!;
  }

  /** Raises the count to `n` (never lowers it), as the newest key. */
  raiseTo(key: string, n: number): void {
    const d = this.digestOf(key);
    const at = this.find(d);
    const have = at === NONE ? 0 : this.counts[this.table[at]! - 1]!;
    if (n <= have) return;
    if (at !== NONE) {
      const slot = this.table[at]! - 1;
      this.counts[slot] = n;
      this.unlink(slot);
      this.append(slot);
    } else {
      this.insert(d, n);
    }
  }

  /** True (and one copy consumed) when the key was there. */
  take(key: string): boolean {
    const at = this.find(this.digestOf(key));
    if (at === NONE) return false;
    const slot = this.table[at]! - 1;
    const n = this.counts[slot]!;
    if (n <= 1) this.remove(at);
    else this.counts[slot] = n - 1;
    return true;
  }

  get size(): number {
    return this.n;
  }

  clear(): void {
    this.table.fill(0);
    this.freeTop = 0;
    this.fresh = 0;
    this.oldest = NONE;
    this.newest = NONE;
    this.n = 0;
  }

  /** The digest of `key`; the last one is cached (deliverLive asks `take` and `add` for the same key). */
  private digestOf(key: string): Uint32Array {
    if (key !== this.lastKey) {
      digest(key, this.lastDigest);
      this.lastKey = key;
    }
    this.scratch.set(this.lastDigest);
    return this.scratch;
  }

  /** The table index holding digest `d`, or NONE. */
  private find(d: Uint32Array): number {
    const w = this.words;
    for (let i = d[0]! & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.table[i]!;
      if (e === 0) return NONE;
      const o = (e - 1) * 4;
      if (w[o] === d[0] && w[o + 1] === d[1] && w[o + 2] === d[2] && w[o + 3] === d[3]) return i;
    }
  }

  private insert(d: Uint32Array, count: number): void {
    if (this.cap <= 0) return; // a Map capped at 0 forgets a key as soon as it is added
    const slot = this.freeTop > 0 ? this.freeSlots[--this.freeTop]! : this.fresh++;
    const o = slot * 4;
    this.words[o] = d[0]!;
    this.words[o + 1] = d[1]!;
    this.words[o + 2] = d[2]!;
    this.words[o + 3] = d[3]!;
    this.counts[slot] = count;
    let i = d[0]! & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
    this.append(slot);
    this.n++;
    if (this.n > this.cap) {
      const o2 = this.oldest * 4;
      this.scratch[0] = this.words[o2]!;
      this.scratch[1] = this.words[o2 + 1]!;
      this.scratch[2] = this.words[o2 + 2]!;
      this.scratch[3] = this.words[o2 + 3]!;
      this.remove(this.find(this.scratch));
    }
  }

  /** Forgets the key at table index `at` (backward-shift deletion keeps every probe chain unbroken). */
  private remove(at: number): void {
    const slot = this.table[at]! - 1;
    this.unlink(slot);
    this.freeSlots[this.freeTop++] = slot;
    this.n--;
    let i = at;
    for (let j = (i + 1) & this.mask; this.table[j] !== 0; j = (j + 1) & this.mask) {
      const home = this.words[(this.table[j]! - 1) * 4]! & this.mask;
      // Move entry j into the hole at i unless its home lies cyclically in (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        this.table[i] = this.table[j]!;
        i = j;
      }
    }
    this.table[i] = 0;
  }

  private append(slot: number): void {
    this.prev[slot] = this.newest;
    this.next[slot] = NONE;
    if (this.newest !== NONE) this.next[this.newest] = slot;
    else this.oldest = slot;
    this.newest = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const nx = this.next[slot]!;
    if (p !== NONE) this.next[p] = nx;
    else this.oldest = nx;
    if (nx !== NONE) this.prev[nx] = p;
    else this.newest = p;
  }
}
