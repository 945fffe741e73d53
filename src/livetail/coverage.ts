/**
 * What one session has covered, and every batch it hands on. The watermark
 * (`covered`) is the last instant every event at or before which was
 * delivered: it advances to (last update's arrival − grace) as the stream
 * flows, holds below the first sampled interval still to complete, and is
 * raised over a range reported lost (the engine skips it). Events reach the
 * engine through `deliverLive` (the stream) and `deliverFetched`
 * (FilterLogEvents: a gap, a sampled interval), duplicates dropped both ways
 * with two counted, bounded sets (./dedupe.ts).
 */
import type { Logger } from 'pino';
import type { EventsHandler } from '../model/ports.js';
import type { LogEvent, SourceBatch } from '../model/event.js';
import { BoundedCounts, eventKey } from './dedupe.js';

/** Events fetched after a gap are handed on in batches of at most this many. */
const FETCHED_CHUNK = 500;

/** A sampled range of event time, waiting to be fetched whole. */
export interface SampledInterval {
  readonly from: number;
  to: number;
  /** Its fetch has begun: it no longer grows, and a backfill does not replace it. */
  inFlight: boolean;
}

export interface CoverageDeps {
  /** The session's id, for log lines. */
  readonly session: string;
  /** The id its batches carry (./session.ts `sourceId`). */
  readonly sourceId: string;
  readonly rules: () => readonly string[];
  readonly onEvents: EventsHandler;
  readonly log: Logger;
  readonly graceMs: () => number;
  /** Keys remembered on each side for dropping duplicates. */
  readonly dedupeCapacity: number;
}

export class Coverage {
  /** The watermark: every event at or before it has been delivered. */
  private covered: number | undefined;
  /** A range that will never be delivered, reported with the next batch. */
  private lost: { from: number; to: number } | undefined;
  /** Arrival of the last update delivered live (the stream covers up to it, less the grace). */
  private lastArrival: number | undefined;
  /** Sampled intervals (event time) awaiting completion, oldest first; the watermark stays below the first. */
  incomplete: SampledInterval[] = [];
  /** Copies of each recent event delivered (live or fetched): a fetch delivers only what is beyond. */
  private readonly delivered: BoundedCounts;
  /** Copies a fetch delivered that the stream may deliver again: each live copy cancels one. */
  private readonly expectLive: BoundedCounts;

  constructor(private readonly deps: CoverageDeps) {
    this.delivered = new BoundedCounts(deps.dedupeCapacity);
    this.expectLive = new BoundedCounts(deps.dedupeCapacity);
  }

  /** The last instant covered completely (undefined before anything was). */
  watermark(): number | undefined {
    return this.covered;
  }

  /** Starts at `from` (the rules' clock after a restart); (lostFrom, from] is reported lost. */
  resumeAt(from: number, lostFrom?: number): void {
    if (lostFrom !== undefined) this.lost = { from: lostFrom, to: from };
    this.covered = from;
  }

  /** One update's events; with `arrivedAt`, the stream has covered up to then (less the grace). */
  deliverLive(events: readonly LogEvent[], emitEmpty: boolean, arrivedAt?: number): void {
    const kept: LogEvent[] = [];
    for (const e of events) {
      const key = eventKey(e);
      // Digests cost ~2 µs each here: ask the fetches' expectations only while there are any.
      if (this.expectLive.size > 0 && this.expectLive.take(key)) continue;
      this.delivered.add(key);
      kept.push(e);
    }
    if (arrivedAt !== undefined) this.streamedTo(arrivedAt);
    if (kept.length > 0 || emitEmpty) this.deliver(kept);
  }

  /** The stream covered up to `arrivedAt` less the grace (a backfill ended, or a completion passed). */
  streamedTo(arrivedAt: number | undefined): void {
    if (arrivedAt === undefined) return;
    this.lastArrival = arrivedAt;
    this.raise(arrivedAt - this.deps.graceMs());
  }

  /** The watermark up to the last update again (after a sampled interval was completed or given up). */
  catchUp(): void {
    if (this.lastArrival !== undefined) this.raise(this.lastArrival - this.deps.graceMs());
  }

  /**
   * Events fetched with FilterLogEvents (a gap, a sampled interval): the range holds k copies of
   * an event and d were delivered already, so k − d are delivered; the stream may still bring
   * those copies (ingested late), and each live copy then cancels one. They stay above the
   * watermark until the caller raises it.
   */
  deliverFetched(events: readonly LogEvent[]): { kept: number; duplicates: number } {
    const kept: LogEvent[] = [];
    const inRange = new Map<string, number>();
    let duplicates = 0;
    for (const e of events) {
      const key = eventKey(e);
      const k = (inRange.get(key) ?? 0) + 1;
      inRange.set(key, k);
      if (k <= this.delivered.get(key)) {
        duplicates++;
        continue;
      }
      this.delivered.raiseTo(key, k);
      this.expectLive.add(key);
      kept.push(e);
    }
    for (let i = 0; i < kept.length; i += FETCHED_CHUNK) this.deliver(kept.slice(i, i + FETCHED_CHUNK));
    return { kept: kept.length, duplicates };
  }

  /** Moves the watermark to `w` (never back, never into the first sampled interval). */
  raise(w: number): void {
    const first = this.incomplete[0];
    if (first !== undefined && w >= first.from) w = first.from - 1;
    if (this.covered === undefined || w > this.covered) this.covered = w;
  }

  /** Events of (from, to] will never come: the rules skip them instead of waiting (and say so). */
  markLost(from: number, to: number): void {
    if (this.covered !== undefined && to <= this.covered) return;
    this.reportLost(from, to);
    this.raise(to);
  }

  /** Reports [from, to] lost with the next batch, the watermark left as it is. */
  reportLost(from: number, to: number): void {
    this.lost = { from: this.lost?.from ?? from, to };
  }

  /** Hands on a batch: these events, the watermark, and a lost range if any. */
  deliver(events: readonly LogEvent[]): void {
    const batch: SourceBatch = { source: this.deps.sourceId, rules: this.deps.rules(), events, watermark: this.covered, ...(this.lost ? { lost: this.lost } : {}) };
    this.lost = undefined;
    try {
      this.deps.onEvents(batch);
    } catch (err) {
      this.deps.log.error({ session: this.deps.session, err }, 'event handler failed');
    }
  }
}
