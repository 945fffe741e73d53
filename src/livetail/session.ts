/**
 * One supervised Live Tail session: a loop that opens StartLiveTail, hands
 * each sessionUpdate's events on, and restarts for every way a session ends —
 * at once on SessionTimeoutException, rotation and stall; with jittered
 * exponential backoff on stream errors, broken connections (resets,
 * truncated or corrupt frames, error frames), clean ends, a start that does
 * not complete within the start deadline, throttling, quota, 5xx and unknown
 * service errors, and expired credentials (read again first); slowly (rules
 * unhealthy) on access denied, missing groups, invalid parameters or
 * operations, and credentials not accepted. Every restart is counted and
 * logged once. Clock, timers and randomness come in from the caller.
 *
 * After every gap it backfills (./refetch.ts) while buffering the new
 * stream, then releases the buffer; a sampled update's interval is completed
 * the same way. Every batch carries the session's watermark (./coverage.ts):
 * it follows the stream (last update's arrival − grace) and holds while the
 * session is down, backfilling, or has a sampled interval to complete, so
 * the rules it serves never decide on a gap. A gap it cannot backfill, or an
 * interval it cannot complete, is reported as lost (the engine skips it).
 */
import { backoffDelay, logGroupNameOf } from '../aws/index.js';
import { StartLiveTailCommand, type CloudWatchLogsClient, type LiveTailSessionUpdate, type StartLiveTailCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { EventsHandler } from '../model/ports.js';
import type { LogEvent } from '../model/event.js';
import type { TimerHandle, Timers } from '../time.js';
import { ADAPTIVE_DEFAULTS, UpdateWindow, type AdaptiveThresholds, type ObservedStats } from './adaptive.js';
import type { FilterBudget } from './budget.js';
import { Coverage } from './coverage.js';
import { AssumeRoleError, classifyError, describeError, policyFor, refreshesCredentials, type RestartReason } from './errors.js';
import { Refetch } from './refetch.js';
import type { SourceMetrics, SupervisorSettings } from './session-settings.js';
import { type SessionSpec } from './spec.js';

export type { SourceMetrics, SupervisorSettings } from './session-settings.js';

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
  /** The clock and every timer it arms (stall, rotation, backoff, backfill and completion waits). */
  readonly timers: Timers;
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
  /** The source's role could not be assumed (its ARN): no log group is to blame. */
  readonly roleRefused?: string | undefined;
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

/** What one attempt (one StartLiveTail call) ended with. */
interface Outcome {
  readonly reason: RestartReason;
  readonly gotUpdate: boolean;
  readonly started: boolean;
  readonly error?: unknown;
}

export class SupervisedSession {
  private rulesServed: readonly string[];
  private state: SessionState = 'idle';
  private startedOnce = false;
  private failing = false;
  private unhealthy = false;
  private lastReason: RestartReason | undefined;
  /** Ends the current slow-retry wait early (retryNow). */
  private wake: AbortController | undefined;
  private stopped = false;
  private readonly stopCtrl = new AbortController();
  private current: AbortController | undefined;
  private abortReason: RestartReason | undefined;
  private loop: Promise<void> | undefined;
  private lastStartAt: number | undefined;
  private readonly coverage: Coverage;
  private readonly refetch: Refetch;
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
    this.log = deps.logger; // every line names its session itself (a child binding would repeat the key)
    const settings = deps.settings;
    this.coverage = new Coverage({ session: this.id, sourceId: this.sourceId, rules: () => this.rulesServed, onEvents: deps.onEvents, log: this.log, graceMs: () => settings().graceMs, dedupeCapacity: settings().dedupeCapacity });
    this.refetch = new Refetch({ session: this.id, params: spec.params, api: () => this.clients.api, budget: deps.budget, coverage: this.coverage, settings, timers: deps.timers, random: deps.random, log: this.log, metrics: deps.metrics, stop: this.stopCtrl.signal });
    if (deps.resumeFrom !== undefined && Number.isFinite(deps.resumeFrom)) {
      const oldest = deps.timers.now() - MAX_RESUME_MS;
      const tooOld = deps.resumeFrom < oldest;
      if (tooOld) this.log.warn({ session: this.id, lastEventAt: new Date(deps.resumeFrom).toISOString(), maxResumeMs: MAX_RESUME_MS }, 'down longer than the backfill limit: older events are not fetched');
      this.coverage.resumeAt(Math.max(deps.resumeFrom, oldest), tooOld ? deps.resumeFrom : undefined);
      // As if a session had run before: the first sessionStart then backfills from the watermark.
      this.lastStartAt = this.coverage.watermark();
    }
  }

  /** The last instant covered completely (undefined before anything was). */
  watermark(): number | undefined {
    return this.coverage.watermark();
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
    this.coverage.deliver([]);
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

  /** Ends a slow retry's wait now (SIGHUP: the user may have fixed the group or the permissions). */
  retryNow(): void {
    this.wake?.abort();
  }

  /** Attempts, each followed by the restart policy of how it ended: at once, backoff or slowly. */
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
        const roleRefused = outcome.error instanceof AssumeRoleError ? outcome.error.roleArn : undefined;
        this.deps.onRestart?.({ session: this.id, reason, delayMs, error: fields['error'] as string | undefined, unhealthy: this.unhealthy, rules: this.rulesServed, roleRefused });
      } catch (err) {
        this.log.error({ session: this.id, err }, 'restart handler failed');
      }
      this.state = 'waiting';
      if (delayMs > 0) await this.wait(delayMs, policy === 'slow');
      // After the wait: credentials renewed meanwhile (a rotated key, a refreshed role) are the ones read.
      if (refreshesCredentials(reason) && this.deps.refreshClients && !this.stopped) this.clients = this.deps.refreshClients(this.clients);
    }
  }

  /** One StartLiveTail call, until its stream ends, breaks or is aborted (and its backfill is in). */
  private async once(): Promise<Outcome> {
    const ctrl = new AbortController();
    this.current = ctrl;
    this.abortReason = undefined;
    this.state = 'connecting';
    const s = this.deps.settings();
    const timers = this.deps.timers;
    let stallTimer: TimerHandle | undefined;
    let rotateTimer: TimerHandle | undefined;
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
      timers.clearTimeout(stallTimer);
      stallTimer = timers.setTimeout(() => abortWith(started ? 'stall' : 'start-timeout'), s.stallAfterMs);
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
          const startAt = timers.now();
          const covered = this.coverage.watermark();
          const gapFrom = this.lastStartAt === undefined ? undefined : (covered ?? this.lastStartAt) - s.backfillOverlapMs;
          this.lastStartAt = startAt;
          this.startedOnce = true;
          this.failing = false;
          this.unhealthy = false;
          this.state = 'running';
          this.deps.metrics?.sessionStarted(this.id);
          this.log.info({ session: this.id, sessionId: frame.sessionStart.sessionId }, 'session started');
          if (s.rotateAfterMs > 0) rotateTimer = timers.setTimeout(() => abortWith('rotation'), s.rotateAfterMs);
          prevUpdateAt = startAt;
          if (s.backfill && gapFrom !== undefined) {
            const buffer: LogEvent[][] = [];
            pending = buffer;
            backfilling = this.refetch.backfill(gapFrom, startAt).finally(() => {
              pending = undefined;
              for (const events of buffer) this.coverage.deliverLive(events, false);
              // The stream's updates since the session started count again.
              if (this.stopped) return;
              this.coverage.streamedTo(lastUpdateAt);
              this.coverage.deliver([]);
            });
          } else if (gapFrom !== undefined && covered !== undefined) {
            // Backfill is off: the events of the gap will never come. Say so, rather than let the
            // watermark run over the gap as if it had been seen.
            this.log.warn({ session: this.id, from: new Date(covered).toISOString(), to: new Date(startAt).toISOString() }, 'gap not backfilled (sessions.backfill is off)');
            this.coverage.markLost(covered, startAt - s.graceMs);
            this.coverage.deliver([]);
          }
        } else if (frame.sessionUpdate) {
          gotUpdate = true;
          lastUpdateAt = timers.now();
          const events = toEvents(frame.sessionUpdate);
          if (frame.sessionUpdate.sessionMetadata?.sampled) {
            this.deps.metrics?.sampledUpdate(this.id);
            // Events ingested since the previous update are missing; their timestamps are at least
            // that update's arrival less the grace.
            this.refetch.markSampled((prevUpdateAt ?? lastUpdateAt) - s.graceMs + 1, lastUpdateAt);
          }
          prevUpdateAt = lastUpdateAt;
          if (pending) pending.push(events);
          else this.coverage.deliverLive(events, true, lastUpdateAt);
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
      timers.clearTimeout(stallTimer);
      timers.clearTimeout(rotateTimer);
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

  /** Until `ms` passed or the session stops; `wakeable`: `retryNow` may end it early (the slow retry). */
  private async wait(ms: number, wakeable: boolean): Promise<void> {
    if (!wakeable) return this.deps.timers.sleep(ms, this.stopCtrl.signal);
    const wake = new AbortController();
    const onStop = (): void => wake.abort();
    this.stopCtrl.signal.addEventListener('abort', onStop, { once: true });
    if (this.stopCtrl.signal.aborted) wake.abort();
    this.wake = wake;
    try {
      await this.deps.timers.sleep(ms, wake.signal);
    } finally {
      this.stopCtrl.signal.removeEventListener('abort', onStop);
      if (this.wake === wake) this.wake = undefined;
    }
  }
}

/** An update's events. A sampled update's are not flagged: its interval is completed, or reported lost. */
function toEvents(update: LiveTailSessionUpdate): LogEvent[] {
  return (update.sessionResults ?? []).map((r) => ({
    timestamp: r.timestamp ?? 0,
    logGroup: logGroupNameOf(r.logGroupIdentifier ?? ''),
    logStream: r.logStreamName ?? '',
    message: r.message ?? '',
    ingestionTime: r.ingestionTime,
  }));
}
