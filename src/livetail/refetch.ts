/**
 * What a session reads back with FilterLogEvents: the gap a restart left
 * (`backfill`) and the sampled seconds the stream thinned (`markSampled`,
 * completed in the background). Both wait for FilterLogEvents' ingestion
 * delay (`completionDelayMs`): it sees an event only some seconds after its
 * ingestion, the stream at once. Both go through the account-region
 * `FilterBudget` (backfills first) and deliver through the session's
 * `Coverage`, which drops what was delivered already.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { Timers } from '../time.js';
import { FetchCancelled, fetchGap } from './backfill.js';
import type { FilterBudget } from './budget.js';
import type { Coverage } from './coverage.js';
import { backoffDelay } from '../aws/index.js';
import { describeError } from './errors.js';
import type { SourceMetrics, SupervisorSettings } from './session-settings.js';
import type { SessionParams } from './spec.js';

/** Longest range of consecutive sampled seconds completed with one query (paged). */
const MAX_COMPLETION_RANGE_MS = 5_000;
const BACKFILL_ATTEMPTS = 4;

export interface RefetchDeps {
  /** The session's id (log lines, metrics). */
  readonly session: string;
  readonly params: SessionParams;
  /** The FilterLogEvents client in use (a new one after a credentials refresh). */
  readonly api: () => CloudWatchLogsClient;
  readonly budget?: FilterBudget | undefined;
  readonly coverage: Coverage;
  readonly settings: () => SupervisorSettings;
  readonly timers: Timers;
  readonly random: () => number;
  readonly log: Logger;
  readonly metrics?: SourceMetrics | undefined;
  /** Aborted when the session stops: every fetch and wait ends. */
  readonly stop: AbortSignal;
}

export class Refetch {
  private completing = false;

  constructor(private readonly deps: RefetchDeps) {}

  private get stopped(): boolean {
    return this.deps.stop.aborted;
  }

  /**
   * The gap [startTime, endTime] (endTime: the new session's start). The new stream sees only
   * events ingested after it started, and FilterLogEvents an event only `completionDelayMs` after
   * its ingestion: the gap's tail — timestamps from endTime − delay − grace on — is fetched once
   * that has passed since endTime, the older part at once. The caller holds the watermark until
   * this resolves.
   */
  async backfill(startTime: number, endTime: number): Promise<void> {
    const { log, coverage, timers } = this.deps;
    // It covers every sampled interval still waiting (they lie above the watermark).
    coverage.incomplete = coverage.incomplete.filter((iv) => iv.inFlight);
    this.deps.metrics?.completionBacklog?.(this.deps.session, coverage.incomplete.length);
    if (endTime < startTime) return;
    const s = this.deps.settings();
    const began = timers.now();
    const delayMs = s.completionDelayMs;
    const tailFrom = delayMs > 0 ? Math.max(startTime, endTime - delayMs - s.graceMs) : endTime + 1;
    const parts: [number, number][] = [];
    if (tailFrom > startTime) parts.push([startTime, Math.min(endTime, tailFrom - 1)]);
    if (tailFrom <= endTime) parts.push([tailFrom, endTime]);
    let events = 0;
    let duplicates = 0;
    let truncated = false;
    let fetched = false;
    for (const [from, to] of parts) {
      const wait = from === tailFrom ? endTime + delayMs - timers.now() : 0;
      if (wait > 0) await timers.sleep(wait, this.deps.stop);
      if (this.stopped) return;
      // An older part lost lets the watermark up to its end; the gap's end only less the grace.
      const lostTo = to === endTime ? endTime - s.graceMs : to;
      const r = await this.fetchRange(from, to);
      if (this.stopped) return;
      if (r === undefined) {
        log.error({ session: this.deps.session, startTime: from, endTime: to }, 'gap backfill gave up: events of the gap may be missing');
        coverage.markLost(from, lostTo);
        continue;
      }
      fetched = true;
      events += r.kept;
      duplicates += r.duplicates;
      if (r.truncated) {
        truncated = true;
        coverage.markLost(from, lostTo);
      }
    }
    if (!fetched) return;
    this.deps.metrics?.backfilled(this.deps.session, events);
    const fields = { session: this.deps.session, startTime, endTime, events, duplicates, ms: timers.now() - began };
    if (truncated) log.warn({ ...fields, truncated: true }, 'gap backfilled partly (too many events)');
    else log.info(fields, 'gap backfilled');
  }

  /** FilterLogEvents over [startTime, endTime], retried with backoff; undefined when it gave up. */
  private async fetchRange(startTime: number, endTime: number): Promise<{ kept: number; duplicates: number; truncated: boolean } | undefined> {
    const s = this.deps.settings();
    const signal = this.deps.stop;
    for (let attempt = 0; attempt < BACKFILL_ATTEMPTS && !this.stopped; attempt++) {
      try {
        const budget = this.deps.budget;
        const res = await fetchGap(this.deps.api(), this.deps.params, { startTime, endTime }, { signal, beforeCall: budget ? () => budget.acquire('backfill', signal) : undefined });
        return { ...this.deps.coverage.deliverFetched(res.events), truncated: res.truncated };
      } catch (err) {
        if (this.stopped) return undefined;
        const delayMs = backoffDelay(attempt, s.backoff.initialMs, s.backoff.maxMs, this.deps.random);
        this.deps.log.warn({ session: this.deps.session, error: describeError(err), attempt: attempt + 1, delayMs }, 'gap backfill failed');
        await this.deps.timers.sleep(delayMs, signal);
      }
    }
    return undefined;
  }

  /** [from, to] (event time) was sampled: the watermark holds below it until it is completed. */
  markSampled(from: number, to: number): void {
    const incomplete = this.deps.coverage.incomplete;
    const last = incomplete[incomplete.length - 1];
    // Consecutive sampled seconds are fetched as one range, up to a few seconds long: under a
    // sustained storm the oldest range still falls due (and the watermark moves) on time.
    if (last !== undefined && !last.inFlight && from <= last.to + 1 && to - last.from <= MAX_COMPLETION_RANGE_MS) last.to = Math.max(last.to, to);
    else incomplete.push({ from: Math.max(from, (last?.to ?? Number.NEGATIVE_INFINITY) + 1), to, inFlight: false });
    this.deps.metrics?.completionBacklog?.(this.deps.session, incomplete.length);
    if (!this.completing) {
      this.completing = true;
      void this.complete().finally(() => (this.completing = false));
    }
  }

  /** Fetches the sampled intervals whole, oldest first, once FilterLogEvents has them. */
  private async complete(): Promise<void> {
    const { coverage, timers, session } = this.deps;
    const s0 = this.deps.settings();
    while (!this.stopped && coverage.incomplete.length > 0) {
      const iv = coverage.incomplete[0]!;
      const wait = iv.to + s0.completionDelayMs - timers.now();
      if (wait > 0) {
        await timers.sleep(wait, this.deps.stop);
        continue; // the interval may have grown meanwhile
      }
      const s = this.deps.settings();
      iv.inFlight = true;
      let kept = 0;
      let abandoned = false;
      const tooLate = (): boolean => timers.now() > iv.to + s.completionDelayMs + s.completionMaxLagMs;
      try {
        if (tooLate()) throw new FetchCancelled('over the completion lag');
        const res = await fetchGap(this.deps.api(), this.deps.params, { startTime: iv.from, endTime: iv.to }, {
          signal: this.deps.stop,
          beforeCall: async () => !tooLate() && (this.deps.budget ? await this.deps.budget.acquire('completion', this.deps.stop) : true),
        });
        kept = coverage.deliverFetched(res.events).kept;
        if (res.truncated) abandoned = true;
      } catch (err) {
        if (this.stopped) return;
        abandoned = true;
        if (!(err instanceof FetchCancelled)) this.deps.log.warn({ session, error: describeError(err) }, 'completing a sampled interval failed');
      }
      if (this.stopped) return;
      coverage.incomplete.shift();
      this.deps.metrics?.completionBacklog?.(session, coverage.incomplete.length);
      if (abandoned) {
        this.deps.metrics?.completionAbandoned?.(session);
        this.deps.log.warn({ session, from: new Date(iv.from).toISOString(), to: new Date(iv.to).toISOString() }, 'sampled interval not completed (FilterLogEvents budget or errors): its alerts say sampled');
        coverage.reportLost(iv.from, iv.to);
      } else {
        this.deps.metrics?.completed?.(session, kept);
        this.deps.log.debug({ session, from: iv.from, to: iv.to, events: kept }, 'sampled interval completed');
      }
      // The watermark may now pass the interval (up to the stream, or the next sampled interval).
      coverage.catchUp();
      if (abandoned) coverage.raise(iv.to);
      coverage.deliver([]);
    }
  }
}
