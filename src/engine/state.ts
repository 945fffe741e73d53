/**
 * The engine's persisted state (plain JSON, versioned): per rule, its
 * definition fingerprint and its live groups in least-recently-seen order.
 * Timers are not stored; they are recomputed from the groups on restore.
 */
import type { KeptEvent } from './kept.js';
import type { GroupValue } from './compile.js';

export const ENGINE_STATE_VERSION = 1;

export interface GroupStateJson {
  readonly key: string;
  readonly values: Readonly<Record<string, GroupValue>>;
  /** [second, count, firstTs, lastTs, old(0|1)] */
  readonly buckets: readonly (readonly [number, number, number, number, 0 | 1])[];
  /** Messages longer than 16 KiB cut (kept.ts). */
  readonly samples: readonly KeptEvent[];
  readonly lastEvent: KeptEvent | null;
  readonly sampled: boolean;
  readonly firstSeen: number;
  readonly lastFireAt: number | null;
  readonly lastSentAt: number | null;
  readonly suppressed: number;
  readonly open: boolean;
  readonly absent: boolean;
}

export interface RuleStateJson {
  readonly id: string;
  readonly fingerprint: string;
  /** Window type and groupBy (engine.ts groupingKey): a reload that keeps them keeps episodes. */
  readonly grouping?: string | undefined;
  /** This rule's own clock (ms), where rules run on clocks of their own (the daemon's LiveEngine). */
  readonly clock?: number | null | undefined;
  readonly groups: readonly GroupStateJson[];
}

export interface EngineState {
  readonly version: number;
  /** The engine clock (ms), null before the first event. */
  readonly clock: number | null;
  readonly rules: readonly RuleStateJson[];
}

