/** One log event as every source (Live Tail, backfill, replay, tests) delivers it. */
export interface LogEvent {
  /** Epoch milliseconds (event time). */
  readonly timestamp: number;
  readonly logGroup: string;
  readonly logStream: string;
  readonly message: string;
  readonly ingestionTime?: number | undefined;
  /** Live Tail said this update was sampled. */
  readonly sampled?: boolean | undefined;
}

/**
 * An event's identity where Live Tail gives no eventId: (group, stream, timestamp, message).
 * Sources deduplicate by it, and events of one millisecond are decided in its order.
 */
export function eventKey(e: LogEvent): string {
  return `${e.logGroup}\u0000${e.logStream}\u0000${e.timestamp}\u0000${e.message}`;
}

/** What a source (a Live Tail session, its backfill) hands to the engine. */
export interface SourceBatch {
  /** The source's stable id (a session's id). */
  readonly source: string;
  /** Ids of the rules the source serves now: its events reach those rules only. */
  readonly rules: readonly string[];
  readonly events: readonly LogEvent[];
  /**
   * The source's low watermark (ms): every event at or before it that the source will ever
   * deliver has been delivered (in this batch or before). Undefined: nothing covered yet.
   */
  readonly watermark?: number | undefined;
  /** The events of (from, to] could not be delivered (a gap that could not be backfilled). */
  readonly lost?: { readonly from: number; readonly to: number } | undefined;
}
