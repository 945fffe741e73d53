import { createHash } from 'node:crypto';

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

/** Messages longer than this are keyed by that many code units and a digest of the whole. */
const KEY_MESSAGE_CHARS = 16_384;

/**
 * An event's identity where Live Tail gives no eventId: (group, stream, timestamp, message).
 * Sources deduplicate by it, and events of one millisecond are decided in its order. A message
 * longer than 16 KiB takes part as its first 16 KiB and the SHA-256 of the whole (keys are kept
 * while events wait for their watermark: a 1 MB line must not be kept twice), so such lines
 * sharing their first 16 KiB are ordered by digest.
 */
export function eventKey(e: LogEvent): string {
  const m = e.message;
  return `${e.logGroup}\u0000${e.logStream}\u0000${e.timestamp}\u0000${m.length <= KEY_MESSAGE_CHARS ? m : longMessageKey(m)}`;
}

function longMessageKey(m: string): string {
  const wellFormed = (m as string & { isWellFormed(): boolean }).isWellFormed();
  // Exact over UTF-16: lone surrogates do not collapse into U+FFFD as UTF-8 would make them.
  const digest = createHash('sha256').update(wellFormed ? m : Buffer.from(m, 'utf16le')).digest('hex');
  return `${m.slice(0, KEY_MESSAGE_CHARS)}\u0000${wellFormed ? '8' : '16'}:${digest}`;
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
