/**
 * The engine's timers: at most one live timer per series (absence due, or an
 * open episode's resolve), in a heap ordered by (due, rule rank, series key)
 * so timers due at the same time are decided in the same order whether the
 * engine restarted or not.
 */
import { TimerHeap, type Timer } from './heap.js';
import type { Runtime } from './runtime.js';
import type { Series } from './series.js';

export interface Armed {
  readonly rt: Runtime;
  readonly series: Series;
}

export class SeriesTimers {
  private readonly heap = new TimerHeap<Armed>();
  /** Series with a timer armed (the heap also holds stale entries). */
  private live = 0;

  /** Arms the series' timer at `due`, unless one is armed at or before it (that one re-evaluates). */
  schedule(rt: Runtime, s: Series, due: number): void {
    if (s.scheduledAt !== undefined && s.scheduledAt <= due) return;
    if (s.scheduledAt === undefined) this.live++;
    s.scheduledAt = due;
    this.heap.push(due, rt.rank, s.key, { rt, series: s });
    // Stale entries (rescheduled or evicted series) are dropped lazily; compact when they dominate.
    if (this.heap.size > 1024 && this.heap.size > 4 * this.live) {
      this.heap.compact((t) => !t.value.series.evicted && t.value.series.scheduledAt === t.due);
    }
  }

  /**
   * Takes the next live timer due at or before `limit` (strictly before it unless `inclusive`),
   * disarming its series; undefined when none is. Stale entries are dropped on the way.
   */
  next(limit: number, inclusive: boolean): Timer<Armed> | undefined {
    for (;;) {
      const due = this.heap.peekDue();
      if (due === undefined || due > limit || (!inclusive && due === limit)) return undefined;
      const timer = this.heap.pop()!;
      const s = timer.value.series;
      if (s.evicted || s.scheduledAt !== due) continue;
      s.scheduledAt = undefined;
      this.live--;
      return timer;
    }
  }

  /** The series was evicted: its timer, if armed, is stale now. */
  dropped(s: Series): void {
    if (s.scheduledAt !== undefined) this.live--;
  }
}
