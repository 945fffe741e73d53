/**
 * What a window step decides. Made only when something is decided (a firing,
 * a condition that cleared), never for an event that changes nothing, so the
 * per-event path allocates nothing here.
 */
import type { KeptEvent } from '../kept.js';
import type { Series } from '../series.js';

/** The window's condition holds: episodes.ts throttles, silences and sends it. */
export interface Firing {
  readonly kind: 'firing';
  /** Event time of the decision (ms). */
  readonly at: number;
  readonly count: number;
  readonly first: number;
  readonly last: number;
  /** Oldest first; the alert shows at most MAX_SAMPLES. */
  readonly samples: readonly KeptEvent[];
  /** Some of it was sampled by Live Tail (gaps are added by episodes.ts). */
  readonly sampled: boolean;
}

/** The condition cleared at `at`, `count` events in the last window: the open episode resolves. */
export interface Cleared {
  readonly kind: 'resolved';
  readonly at: number;
  readonly count: number;
}

export type Outcome = Firing | Cleared;

/**
 * Threshold and spike: an open episode resolves a full window after its last firing (sent or
 * suppressed), when no firing came since; this is when its timer is due.
 */
export function resolveDue(s: Series, withinMs: number): number | undefined {
  return s.open && s.lastFireAt !== undefined ? s.lastFireAt + withinMs : undefined;
}
