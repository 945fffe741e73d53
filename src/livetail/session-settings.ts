/** What a supervised session is told (settings) and tells (metrics): shared by ./session.ts and ./refetch.ts. */

export interface SourceMetrics {
  sessionStarted(session: string): void;
  sessionRestarted(session: string, reason: string): void;
  sampledUpdate(session: string): void;
  backfilled(session: string, events: number): void;
  /** Events a sampled interval's completion added (beyond what the stream delivered). */
  completed?(session: string, events: number): void;
  /** A sampled interval given up on (budget too small): its alerts say sampled. */
  completionAbandoned?(session: string): void;
  /** Sampled intervals waiting for completion. */
  completionBacklog?(session: string, intervals: number): void;
  /** A frame of a kind this version does not know (skipped; the session goes on). */
  unknownFrame?(session: string): void;
}

export interface SupervisorSettings {
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly stallAfterMs: number;
  readonly rotateAfterMs: number;
  readonly backfill: boolean;
  /** Retry period of a session whose rules are unhealthy (access denied, missing group, invalid parameter). */
  readonly slowRetryMs: number;
  /** Backfill starts this long before the last event seen. */
  readonly backfillOverlapMs: number;
  /** Keys remembered on each side for dropping duplicates. */
  readonly dedupeCapacity: number;
  /** How late after its timestamp an event may still arrive: the watermark trails the stream by this. */
  readonly graceMs: number;
  /**
   * FilterLogEvents' ingestion delay: a sampled interval is fetched this long after its end, a
   * gap's tail this long after the new session started.
   */
  readonly completionDelayMs: number;
  /** …and given up on when the budget has not reached it this much later still. */
  readonly completionMaxLagMs: number;
}
