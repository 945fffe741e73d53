/**
 * One supervised Live Tail session: a loop that opens StartLiveTail, hands
 * each sessionUpdate's events to `onEvents`, and restarts for every reason of
 * SPEC §6 — at once on SessionTimeoutException, rotation and stall; with
 * jittered exponential backoff on stream errors, broken connections (resets,
 * truncated or corrupt frames, error frames), clean ends, a start that does
 * not complete within the start deadline, throttling, quota, 5xx and unknown
 * service errors, and expired credentials (read again first); slowly (rules
 * unhealthy) on access denied, missing groups, invalid parameters or
 * operations, and credentials not accepted. After every gap it backfills with
 * FilterLogEvents while buffering the new stream, then releases the buffer,
 * duplicates dropped both ways. Every restart is counted and logged once.
 * Clock and randomness come in from the caller.
 *
 * Every batch it hands on carries the session's watermark: the last instant
 * it covered completely. It advances to (last update's arrival − grace)
 * while the stream flows and no backfill is pending, and holds while the
 * session is down or backfilling, so the rules it serves never decide on a
 * gap. A gap it cannot backfill is reported as lost (the engine skips it).
 *
 * Sampled seconds: an update flagged `sampled` (more than 500 matching events
 * that second) misses events of the interval since the previous update. The
 * watermark holds before that interval; after `completionDelayMs` (the
 * ingestion delay of FilterLogEvents) the interval is fetched whole, within
 * the account's FilterLogEvents budget, the copies the stream delivered are
 * dropped, and the watermark moves on: the rules count exactly. An interval
 * the budget cannot reach within `completionMaxLagMs` is reported as lost
 * (its alerts say sampled).
 */
import { StartLiveTailCommand, type CloudWatchLogsClient, type LiveTailSessionUpdate, type StartLiveTailCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { EventsHandler } from '../daemon/ports.js';
import type { LogEvent, SourceBatch } from '../engine/event.js';
import { ADAPTIVE_DEFAULTS, UpdateWindow, type AdaptiveThresholds, type ObservedStats } from './adaptive.js';
import { FetchCancelled, fetchGap } from './backfill.js';
import type { FilterBudget } from './budget.js';
import { BoundedCounts, eventKey } from './dedupe.js';
import { backoffDelay, classifyError, describeError, policyFor, refreshesCredentials, type RestartReason } from './errors.js';
import { groupNameOf, type SessionSpec } from './spec.js';

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
  /** A sampled interval is fetched this long after its end (FilterLogEvents' ingestion delay). */
  readonly completionDelayMs: number;
  /** …and given up on when the budget has not reached it this much later still. */
  readonly completionMaxLagMs: number;
}

/** The clients a session calls: `live` for StartLiveTail, `api` for FilterLogEvents. */
export interface SessionClients {
  readonly live: CloudWatchLogsClient;
  readonly api: CloudWatchLogsClient;
}

export interface SessionDeps extends SessionClients {
  /**
   * Clients whose credentials are asked for again (the credential chain read anew), given the
   * ones that were refused: called before the retry after ExpiredTokenException and after an
   * unrecognised key or signature. Without it the same clients are retried.
   */
  readonly refreshClients?: ((stale: SessionClients) => SessionClients) | undefined;
  readonly onEvents: EventsHandler;
  /** FilterLogEvents calls of this account and region (backfill and completion share it). */
  readonly budget?: FilterBudget | undefined;
  readonly logger: Logger;
  readonly metrics?: SourceMetrics | undefined;
  readonly settings: () => SupervisorSettings;
  readonly clock: () => number;
  readonly random: () => number;
  /**
   * The last instant its rules decided (their clocks, saved by the daemon or held across a
   * reload): the first start then backfills from there (a restart is a gap like any other).
   */
  readonly resumeFrom?: number | undefined;
  /** Told of every restart, after it is logged (the source probes the log groups of a refused session). */
  readonly onRestart?: ((info: RestartInfo) => void) | undefined;
  /** How many sessions with these parameters ran before this one in this process (0: none). */
  readonly generation?: number | undefined;
  /** Told after every update is counted in `stats()` (the adaptive strategy watches them). */
  readonly onUpdate?: ((session: SupervisedSession) => void) | undefined;
  /** The windows `stats()` measures over. Default ADAPTIVE_DEFAULTS. */
  readonly thresholds?: AdaptiveThresholds | undefined;
}

export interface RestartInfo {
  readonly session: string;
  readonly reason: RestartReason;
  readonly delayMs: number;
  /** `describeError` of what ended the attempt, if an error did. */
  readonly error?: string | undefined;
  /** The session's rules are unhealthy until it starts (access denied, missing group, invalid parameter). */
  readonly unhealthy: boolean;
  readonly rules: readonly string[];
}

/** A restart backfills at most this far back (FilterLogEvents results are held in memory). */
export const MAX_RESUME_MS = 3_600_000;

export type SessionState = 'idle' | 'connecting' | 'running' | 'waiting' | 'stopped';

export interface SessionStatus {
  readonly id: string;
  readonly state: SessionState;
  readonly startedOnce: boolean;
  /** The last attempt failed (not a planned restart) and no session has started since. */
  readonly failing: boolean;
  /** Failing for access denied, missing group or invalid parameter. */
  readonly unhealthy: boolean;
  readonly lastReason?: RestartReason | undefined;
  readonly rules: readonly string[];
}

const BACKFILL_CHUNK = 500;
/** Longest range of consecutive sampled seconds completed with one query (paged). */
const MAX_COMPLETION_RANGE_MS = 5_000;
const BACKFILL_ATTEMPTS = 4;

export class SupervisedSession {
  private rulesServed: readonly string[];
  private state: SessionState = 'idle';
  private startedOnce = false;
  private failing = false;
  private unhealthy = false;
  private lastReason: RestartReason | undefined;
  /** Ends the current slow-retry wait early (retryNow). */
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly stopCtrl = new AbortController();
  private current: AbortController | undefined;
  private abortReason: RestartReason | undefined;
  private loop: Promise<void> | undefined;
  /** The watermark: every event at or before it has been delivered. */
  private covered: number | undefined;
  /** A gap that could not be backfilled, reported with the next batch. */
  private lost: { from: number; to: number } | undefined;
  /** Sampled intervals (by event time) awaiting completion, oldest first; the watermark stays below the first. */
  private incomplete: { from: number; to: number; inFlight: boolean }[] = [];
  private completing = false;
  /** Arrival of the last update delivered live (the stream covers up to it, less the grace). */
  private lastArrival: number | undefined;
  private lastStartAt: number | undefined;
  /** Copies of each recent event delivered (live or backfilled): a backfill delivers only what is beyond. */
  private readonly delivered: BoundedCounts;
  /** Copies a backfill delivered that the new stream may deliver again: each live copy cancels one. */
  private readonly expectLive: BoundedCounts;
  private readonly log: Logger;
  /** The clients in use (new ones after a credentials refresh). */
  private clients: SessionClients;
  /** Frames of a kind this version does not know, skipped (the SDK drops unknown event types itself). */
  private unknownFrames = 0;
  /** Events and sampled flags of the last updates (matching rate, sampled share). */
  private readonly updates: UpdateWindow;

  constructor(readonly spec: SessionSpec, private readonly deps: SessionDeps) {
    this.rulesServed = spec.rules;
    this.clients = { live: deps.live, api: deps.api };
    this.updates = new UpdateWindow(deps.thresholds ?? ADAPTIVE_DEFAULTS);
    const cap = deps.settings().dedupeCapacity;
    this.delivered = new BoundedCounts(cap);
    this.expectLive = new BoundedCounts(cap);
    this.log = deps.logger; // every line names its session itself (a child binding would repeat the key)
    if (deps.resumeFrom !== undefined && Number.isFinite(deps.resumeFrom)) {
      const oldest = deps.clock() - MAX_RESUME_MS;
      if (deps.resumeFrom < oldest) {
        this.log.warn({ session: this.id, lastEventAt: new Date(deps.resumeFrom).toISOString(), maxResumeMs: MAX_RESUME_MS }, 'down longer than the backfill limit: older events are not fetched');
        this.lost = { from: deps.resumeFrom, to: oldest };
      }
      this.covered = Math.max(deps.resumeFrom, oldest);
      // As if a session had run before: the first sessionStart then backfills from the watermark.
      this.lastStartAt = this.covered;
    }
  }

  /** The last instant covered completely (undefined before anything was). */
  watermark(): number | undefined {
    return this.covered;
  }

  get id(): string {
    return this.spec.id;
  }

  /**
   * The id its batches carry: the session's id, and `.N` when a session with these parameters was
   * started again (a reload moved a rule into it). Its copies of events then count apart from the
   * ones the earlier session delivered, so the engine drops the ones it re-delivers.
   */
  get sourceId(): string {
    return this.deps.generation ? `${this.spec.id}.${this.deps.generation}` : this.spec.id;
  }

  setRules(rules: readonly string[]): void {
    this.rulesServed = rules;
  }

  /** Its matching rate and sampled share over its last updates (every attempt of this session). */
  stats(): ObservedStats {
    return this.updates.stats();
  }

  status(): SessionStatus {
    return { id: this.id, state: this.state, startedOnce: this.startedOnce, failing: this.failing, unhealthy: this.unhealthy, lastReason: this.lastReason, rules: this.rulesServed };
  }

  start(): void {
    if (this.loop || this.stopped) return;
    // Announce the session to the engine at once: its rules wait for its watermark from now on.
    this.deliver([]);
    this.loop = this.run().catch((err: unknown) => this.log.error({ session: this.id, err }, 'session supervisor failed'));
  }

  /** Aborts the stream (the server sees the session closed) and resolves when the loop has ended. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopCtrl.abort();
    this.current?.abort();
    await this.loop;
    this.state = 'stopped';
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const outcome = await this.once();
      if (this.stopped) break;
      if (outcome.gotUpdate) attempt = 0;
      const reason = outcome.reason;
      let policy = policyFor(reason);
      // A timeout before any update is no healthy session ending: do not loop on it.
      if (policy === 'now' && reason === 'timeout' && !outcome.gotUpdate) policy = 'backoff';
      const s = this.deps.settings();
      let delayMs = 0;
      if (policy === 'backoff') delayMs = backoffDelay(attempt++, s.backoff.initialMs, s.backoff.maxMs, this.deps.random);
      else if (policy === 'slow') delayMs = s.slowRetryMs;
      this.lastReason = reason;
      this.failing = reason !== 'timeout' && reason !== 'rotation';
      this.unhealthy = policy === 'slow';
      this.deps.metrics?.sessionRestarted(this.id, reason);
      const fields: Record<string, unknown> = { session: this.id, reason, delayMs };
      if (outcome.error !== undefined) fields['error'] = describeError(outcome.error);
      // Whether it broke before the session started (send() or the first frame) or while it streamed.
      if (reason !== 'timeout' && reason !== 'rotation') fields['phase'] = outcome.started ? 'stream' : 'start';
      if (refreshesCredentials(reason)) fields['credentials'] = this.deps.refreshClients ? 'asked for again before the retry' : 'retried as they are';
      if (this.unhealthy) fields['unhealthyRules'] = this.rulesServed;
      this.log.warn(fields, 'session restarting');
      try {
        this.deps.onRestart?.({ session: this.id, reason, delayMs, error: fields['error'] as string | undefined, unhealthy: this.unhealthy, rules: this.rulesServed });
      } catch (err) {
        this.log.error({ session: this.id, err }, 'restart handler failed');
      }
      this.state = 'waiting';
      if (delayMs > 0) await this.sleep(delayMs, policy === 'slow');
      // After the wait: credentials renewed meanwhile (a rotated key, a refreshed role) are the ones read.
      if (refreshesCredentials(reason) && this.deps.refreshClients && !this.stopped) this.clients = this.deps.refreshClients(this.clients);
    }
  }

  private async once(): Promise<{ reason: RestartReason; gotUpdate: boolean; started: boolean; error?: unknown }> {
    const ctrl = new AbortController();
    this.current = ctrl;
    this.abortReason = undefined;
    this.state = 'connecting';
    const s = this.deps.settings();
    let stallTimer: NodeJS.Timeout | undefined;
    let rotateTimer: NodeJS.Timeout | undefined;
    const abortWith = (reason: RestartReason): void => {
      if (ctrl.signal.aborted) return;
      this.abortReason = reason;
      ctrl.abort();
    };
    let started = false;
    // Armed before send(): it is also the start deadline. The SDK's requestTimeout only warns, and
    // send() resolves only with the first frame, so a response held before its headers or before
    // its first frame would otherwise wait forever. No sessionStart in time is `start-timeout`.
    const armStall = (): void => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => abortWith(started ? 'stall' : 'start-timeout'), s.stallAfterMs);
    };
    let gotUpdate = false;
    /** When the last update of this attempt arrived: the stream covered up to then. */
    let lastUpdateAt: number | undefined;
    /** The update before it (or the session start): a sampled update misses events since then. */
    let prevUpdateAt: number | undefined;
    let pending: LogEvent[][] | undefined;
    let backfilling: Promise<void> | undefined;
    if (this.stopped) return { reason: 'connection', gotUpdate, started };
    armStall();
    try {
      const res = await this.clients.live.send(new StartLiveTailCommand(this.input()), { abortSignal: ctrl.signal });
      for await (const frame of res.responseStream ?? []) {
        armStall();
        if (frame.sessionStart) {
          started = true;
          const startAt = this.deps.clock();
          const gapFrom = this.lastStartAt === undefined ? undefined : (this.covered ?? this.lastStartAt) - s.backfillOverlapMs;
          this.lastStartAt = startAt;
          this.startedOnce = true;
          this.failing = false;
          this.unhealthy = false;
          this.state = 'running';
          this.deps.metrics?.sessionStarted(this.id);
          this.log.info({ session: this.id, sessionId: frame.sessionStart.sessionId }, 'session started');
          if (s.rotateAfterMs > 0) rotateTimer = setTimeout(() => abortWith('rotation'), s.rotateAfterMs);
          prevUpdateAt = startAt;
          if (s.backfill && gapFrom !== undefined) {
            // The backfill covers every sampled interval still waiting (they lie above the watermark).
            this.incomplete = this.incomplete.filter((iv) => iv.inFlight);
            this.deps.metrics?.completionBacklog?.(this.id, this.incomplete.length);
            const buffer: LogEvent[][] = [];
            pending = buffer;
            backfilling = this.backfill(gapFrom, startAt).finally(() => {
              pending = undefined;
              for (const events of buffer) this.deliverLive(events, false);
              this.advance(lastUpdateAt);
            });
          } else if (gapFrom !== undefined && this.covered !== undefined) {
            // Backfill is off: the events of the gap will never come. Say so, rather than let the
            // watermark run over the gap as if it had been seen.
            this.log.warn({ session: this.id, from: new Date(this.covered).toISOString(), to: new Date(startAt).toISOString() }, 'gap not backfilled (sessions.backfill is off)');
            this.markLost(this.covered, startAt - s.graceMs);
            this.deliver([]);
          }
        } else if (frame.sessionUpdate) {
          gotUpdate = true;
          lastUpdateAt = this.deps.clock();
          const events = toEvents(frame.sessionUpdate);
          if (frame.sessionUpdate.sessionMetadata?.sampled) {
            this.deps.metrics?.sampledUpdate(this.id);
            // Events ingested since the previous update are missing; their timestamps are at least
            // that update's arrival less the grace.
            this.markSampled((prevUpdateAt ?? lastUpdateAt) - s.graceMs + 1, lastUpdateAt);
          }
          prevUpdateAt = lastUpdateAt;
          if (pending) pending.push(events);
          else this.deliverLive(events, true, lastUpdateAt);
          this.updates.push(events.length, frame.sessionUpdate.sessionMetadata?.sampled === true);
          try {
            this.deps.onUpdate?.(this);
          } catch (err) {
            this.log.error({ session: this.id, err }, 'update handler failed');
          }
        } else {
          // An event type of a newer service that this SDK yields anyway: skipped, counted, logged once.
          this.unknownFrames++;
          this.deps.metrics?.unknownFrame?.(this.id);
          if (this.unknownFrames === 1) this.log.info({ session: this.id, kind: Object.keys(frame as object).slice(0, 3) }, 'skipping Live Tail frames of an unknown kind');
        }
      }
      if (ctrl.signal.aborted) return { reason: this.abortReason ?? 'connection', gotUpdate, started };
      return { reason: 'clean-end', gotUpdate, started };
    } catch (err) {
      // Our own abort surfaces as Error("aborted"): the reason is ours, not the error's.
      if (ctrl.signal.aborted) return { reason: this.abortReason ?? 'connection', gotUpdate, started };
      return { reason: classifyError(err), gotUpdate, started, error: err };
    } finally {
      clearTimeout(stallTimer);
      clearTimeout(rotateTimer);
      ctrl.abort();
      if (backfilling) await backfilling;
    }
  }

  private input(): StartLiveTailCommandInput {
    const p = this.spec.params;
    const input: StartLiveTailCommandInput = { logGroupIdentifiers: [...p.logGroupIdentifiers] };
    if (p.logStreamNames) input.logStreamNames = [...p.logStreamNames];
    if (p.logStreamNamePrefixes) input.logStreamNamePrefixes = [...p.logStreamNamePrefixes];
    if (p.logEventFilterPattern !== undefined) input.logEventFilterPattern = p.logEventFilterPattern;
    return input;
  }

  /** One update's events; with `arrivedAt`, the stream has covered up to then (less the grace). */
  private deliverLive(events: readonly LogEvent[], emitEmpty: boolean, arrivedAt?: number): void {
    const kept: LogEvent[] = [];
    for (const e of events) {
      const key = eventKey(e);
      // Digests cost ~2 µs each here: ask the backfill's expectations only while there are any.
      if (this.expectLive.size > 0 && this.expectLive.take(key)) continue;
      this.delivered.add(key);
      kept.push(e);
    }
    if (arrivedAt !== undefined) {
      this.lastArrival = arrivedAt;
      this.raise(arrivedAt - this.deps.settings().graceMs);
    }
    if (kept.length > 0 || emitEmpty) this.deliver(kept);
  }

  /** After a backfill: the stream's updates since the session started count again. */
  private advance(lastUpdateAt: number | undefined): void {
    if (this.stopped) return;
    if (lastUpdateAt !== undefined) {
      this.lastArrival = lastUpdateAt;
      this.raise(lastUpdateAt - this.deps.settings().graceMs);
    }
    this.deliver([]);
  }

  private raise(w: number): void {
    const first = this.incomplete[0];
    if (first !== undefined && w >= first.from) w = first.from - 1;
    if (this.covered === undefined || w > this.covered) this.covered = w;
  }

  /** [from, to] (event time) was sampled: hold the watermark below it until it is completed. */
  private markSampled(from: number, to: number): void {
    const last = this.incomplete[this.incomplete.length - 1];
    // Consecutive sampled seconds are fetched as one range, up to a few seconds long: under a
    // sustained storm the oldest range still falls due (and the watermark moves) on time.
    if (last !== undefined && !last.inFlight && from <= last.to + 1 && to - last.from <= MAX_COMPLETION_RANGE_MS) last.to = Math.max(last.to, to);
    else this.incomplete.push({ from: Math.max(from, (last?.to ?? Number.NEGATIVE_INFINITY) + 1), to, inFlight: false });
    this.deps.metrics?.completionBacklog?.(this.id, this.incomplete.length);
    if (!this.completing) {
      this.completing = true;
      void this.complete().finally(() => (this.completing = false));
    }
  }

  /** Fetches the sampled intervals whole, oldest first, once FilterLogEvents has them. */
  private async complete(): Promise<void> {
    const s0 = this.deps.settings();
    while (!this.stopped && this.incomplete.length > 0) {
      const iv = this.incomplete[0]!;
      const wait = iv.to + s0.completionDelayMs - this.deps.clock();
      if (wait > 0) {
        await this.sleep(wait);
        continue; // the interval may have grown meanwhile
      }
      const s = this.deps.settings();
      iv.inFlight = true;
      let kept = 0;
      let abandoned = false;
      const tooLate = (): boolean => this.deps.clock() > iv.to + s.completionDelayMs + s.completionMaxLagMs;
      try {
        if (tooLate()) throw new FetchCancelled('over the completion lag');
        const res = await fetchGap(this.clients.api, this.spec.params, { startTime: iv.from, endTime: iv.to }, {
          signal: this.stopCtrl.signal,
          beforeCall: async () => !tooLate() && (this.deps.budget ? await this.deps.budget.acquire('completion', this.stopCtrl.signal) : true),
        });
        kept = this.deliverFetched(res.events).kept.length;
        if (res.truncated) abandoned = true;
      } catch (err) {
        if (this.stopped) return;
        abandoned = true;
        if (!(err instanceof FetchCancelled)) this.log.warn({ session: this.id, error: describeError(err) }, 'completing a sampled interval failed');
      }
      if (this.stopped) return;
      this.incomplete.shift();
      this.deps.metrics?.completionBacklog?.(this.id, this.incomplete.length);
      if (abandoned) {
        this.deps.metrics?.completionAbandoned?.(this.id);
        this.log.warn({ session: this.id, from: new Date(iv.from).toISOString(), to: new Date(iv.to).toISOString() }, 'sampled interval not completed (FilterLogEvents budget or errors): its alerts say sampled');
        this.lost = { from: this.lost?.from ?? iv.from, to: iv.to };
      } else {
        this.deps.metrics?.completed?.(this.id, kept);
        this.log.debug({ session: this.id, from: iv.from, to: iv.to, events: kept }, 'sampled interval completed');
      }
      // The watermark may now pass the interval (up to the stream, or the next sampled interval).
      if (this.lastArrival !== undefined) this.raise(this.lastArrival - s.graceMs);
      if (abandoned) this.raise(iv.to);
      this.deliver([]);
    }
  }

  private deliver(events: readonly LogEvent[]): void {
    const batch: SourceBatch = { source: this.sourceId, rules: this.rulesServed, events, watermark: this.covered, ...(this.lost ? { lost: this.lost } : {}) };
    this.lost = undefined;
    try {
      this.deps.onEvents(batch);
    } catch (err) {
      this.log.error({ session: this.id, err }, 'event handler failed');
    }
  }

  /**
   * The gap [startTime, endTime] (endTime: the new session's start). FilterLogEvents sees an event
   * only some seconds after its ingestion (`completionDelayMs`, as for sampled seconds) while the
   * new stream sees only events ingested after it started: the gap's tail — timestamps from
   * endTime − delay − grace on — is fetched once the delay has passed since endTime, the older
   * part at once. An attempt that ends meanwhile still waits for it before the next one starts
   * (only a session that breaks within the delay of its start reconnects later).
   */
  private async backfill(startTime: number, endTime: number): Promise<void> {
    if (endTime < startTime) return;
    const s = this.deps.settings();
    const began = this.deps.clock();
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
      if (from === tailFrom) {
        const wait = endTime + delayMs - this.deps.clock();
        if (wait > 0) await this.sleep(wait);
        if (this.stopped) return;
      }
      // The watermark may pass an older part lost; the gap's end only less the grace (the stream's).
      const lostTo = to === endTime ? endTime - s.graceMs : to;
      const r = await this.fetchRange(from, to);
      if (this.stopped) return;
      if (r === undefined) {
        this.log.error({ session: this.id, startTime: from, endTime: to }, 'gap backfill gave up: events of the gap may be missing');
        this.markLost(from, lostTo);
        continue;
      }
      fetched = true;
      events += r.kept;
      duplicates += r.duplicates;
      if (r.truncated) {
        truncated = true;
        this.markLost(from, lostTo);
      }
    }
    if (!fetched) return;
    this.deps.metrics?.backfilled(this.id, events);
    const fields = { session: this.id, startTime, endTime, events, duplicates, ms: this.deps.clock() - began };
    if (truncated) this.log.warn({ ...fields, truncated: true }, 'gap backfilled partly (too many events)');
    else this.log.info(fields, 'gap backfilled');
  }

  /** FilterLogEvents over [startTime, endTime], retried with backoff; undefined when it gave up. */
  private async fetchRange(startTime: number, endTime: number): Promise<{ kept: number; duplicates: number; truncated: boolean } | undefined> {
    const s = this.deps.settings();
    for (let attempt = 0; attempt < BACKFILL_ATTEMPTS && !this.stopped; attempt++) {
      try {
        const budget = this.deps.budget;
        const res = await fetchGap(this.clients.api, this.spec.params, { startTime, endTime }, {
          signal: this.stopCtrl.signal,
          beforeCall: budget ? () => budget.acquire('backfill', this.stopCtrl.signal) : undefined,
        });
        // Backfilled events stay above the watermark until the backfill is over (they are in order
        // among themselves, but the stream buffered meanwhile may hold older ones).
        const { kept, duplicates } = this.deliverFetched(res.events);
        return { kept: kept.length, duplicates, truncated: res.truncated };
      } catch (err) {
        if (this.stopped) return undefined;
        const delayMs = backoffDelay(attempt, s.backoff.initialMs, s.backoff.maxMs, this.deps.random);
        this.log.warn({ session: this.id, error: describeError(err), attempt: attempt + 1, delayMs }, 'gap backfill failed');
        await this.sleep(delayMs);
      }
    }
    return undefined;
  }

  /**
   * Events fetched with FilterLogEvents (a gap, a sampled interval): the range holds k copies of
   * an event and d were delivered already, so k − d are delivered; the stream may still bring
   * those copies (ingested late), and each live copy then cancels one.
   */
  private deliverFetched(events: readonly LogEvent[]): { kept: LogEvent[]; duplicates: number } {
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
    for (let i = 0; i < kept.length; i += BACKFILL_CHUNK) this.deliver(kept.slice(i, i + BACKFILL_CHUNK));
    return { kept, duplicates };
  }

  /** Events of (from, to] will never come: the rules skip them instead of waiting (and say so). */
  private markLost(from: number, to: number): void {
    if (this.covered !== undefined && to <= this.covered) return;
    this.lost = { from: this.lost?.from ?? from, to };
    this.raise(to);
  }

  /** `wakeable`: `retryNow` may end the wait early (the slow retry of unhealthy rules). */
  private sleep(ms: number, wakeable = false): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopCtrl.signal;
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.wake = done;
    });
  }

  /** Ends a slow retry's wait now (SIGHUP: the user may have fixed the group or the permissions). */
  retryNow(): void {
    this.wake?.();
  }
}

/** An update's events. A sampled update's are not flagged: its interval is completed, or reported lost. */
function toEvents(update: LiveTailSessionUpdate): LogEvent[] {
  return (update.sessionResults ?? []).map((r) => ({
    timestamp: r.timestamp ?? 0,
    logGroup: groupNameOf(r.logGroupIdentifier ?? ''),
    logStream: r.logStreamName ?? '',
    message: r.message ?? '',
    ingestionTime: r.ingestionTime,
  }));
}
