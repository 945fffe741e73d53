/**
 * A binary min-heap of timers ordered by (due, rank, key): equal times are
 * decided in rule order, then series key, so a restored engine decides in the
 * same order as one that never stopped.
 */
export interface Timer<T> {
  readonly due: number;
  readonly rank: number;
  readonly key: string;
  readonly value: T;
}

export class TimerHeap<T> {
  private items: Timer<T>[] = [];

  get size(): number {
    return this.items.length;
  }

  peekDue(): number | undefined {
    return this.items[0]?.due;
  }

  push(due: number, rank: number, key: string, value: T): void {
    const items = this.items;
    items.push({ due, rank, key, value });
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(items[i]!, items[p]!)) break;
      [items[i], items[p]] = [items[p]!, items[i]!];
      i = p;
    }
  }

  pop(): Timer<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && less(items[l]!, items[m]!)) m = l;
      if (r < items.length && less(items[r]!, items[m]!)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
    return top;
  }

  /** Drops the timers `keep` rejects (stale ones), keeping order. */
  compact(keep: (t: Timer<T>) => boolean): void {
    const kept = this.items.filter(keep);
    this.items = [];
    for (const t of kept.sort((a, b) => (less(a, b) ? -1 : 1))) this.items.push(t);
  }
}

function less<T>(a: Timer<T>, b: Timer<T>): boolean {
  if (a.due !== b.due) return a.due < b.due;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.key < b.key;
}
