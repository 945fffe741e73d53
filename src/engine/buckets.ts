/**
 * Counting matching events over event time in buckets of one second
 * (a window's edges are then exact to the second). A bucket keeps its exact first
 * and last timestamps, so events on whole seconds are counted exactly, and
 * a bucket leaves a window only when its last event does.
 */

export interface Bucket {
  /** floor(timestamp / 1000) */
  sec: number;
  n: number;
  first: number;
  last: number;
  /** Spike: counted before the last firing (previous windows only). */
  old: boolean;
}

export class Buckets {
  list: Bucket[] = [];
  total = 0;

  add(ts: number): void {
    const sec = Math.floor(ts / 1000);
    const list = this.list;
    let i = list.length;
    while (i > 0 && list[i - 1]!.sec > sec) i--;
    const prev = list[i - 1];
    if (prev !== undefined && prev.sec === sec && !prev.old) {
      prev.n++;
      if (ts < prev.first) prev.first = ts;
      if (ts > prev.last) prev.last = ts;
    } else {
      const b: Bucket = { sec, n: 1, first: ts, last: ts, old: false };
      if (i === list.length) list.push(b);
      else list.splice(i, 0, b);
    }
    this.total++;
  }

  /** Drops buckets whose every event is at or before `cutoff`. */
  trim(cutoff: number): void {
    const list = this.list;
    let k = 0;
    while (k < list.length && list[k]!.last <= cutoff) {
      this.total -= list[k]!.n;
      k++;
    }
    if (k > 0) list.splice(0, k);
  }

  clear(): void {
    this.list = [];
    this.total = 0;
  }

  /** Marks everything counted so far as belonging to earlier windows (spike after firing). */
  markOld(): void {
    for (const b of this.list) b.old = true;
  }

  /** Events in buckets with `last > after` that are not old. */
  countCurrent(after: number): { n: number; first: number; last: number } {
    let n = 0;
    let first = Infinity;
    let last = -Infinity;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const b = this.list[i]!;
      if (b.last <= after) break;
      if (b.old) continue;
      n += b.n;
      if (b.first < first) first = b.first;
      if (b.last > last) last = b.last;
    }
    return { n, first, last };
  }

  /** Events in buckets with `from < last <= to`, old or not. */
  countBetween(from: number, to: number): number {
    let n = 0;
    for (const b of this.list) if (b.last > from && b.last <= to) n += b.n;
    return n;
  }

  firstTs(): number | undefined {
    return this.list[0]?.first;
  }

  lastTs(): number | undefined {
    let last: number | undefined;
    for (const b of this.list) if (last === undefined || b.last > last) last = b.last;
    return last;
  }

  /**
   * The last-event time of the bucket where, counting from the newest, the
   * running total reaches `n`; undefined when fewer than `n` are counted.
   * The count stays >= n until that time + within.
   */
  lastOfNthNewest(n: number): number | undefined {
    let acc = 0;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const b = this.list[i]!;
      acc += b.n;
      if (acc >= n) return b.last;
    }
    return undefined;
  }

  toJSON(): [number, number, number, number, 0 | 1][] {
    return this.list.map((b) => [b.sec, b.n, b.first, b.last, b.old ? 1 : 0]);
  }

  static fromJSON(rows: readonly (readonly [number, number, number, number, 0 | 1])[]): Buckets {
    const out = new Buckets();
    for (const [sec, n, first, last, old] of rows) {
      out.list.push({ sec, n, first, last, old: old === 1 });
      out.total += n;
    }
    return out;
  }
}
