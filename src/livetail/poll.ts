/**
 * One poll: the source of polled rules (`feed: { poll, lag }`) on one log
 * group. Every interval it reads (covered, now − lag] with FilterLogEvents —
 * the poll's stream filter and pattern, paged, within the account's budget
 * after every backfill and completion of the live sessions — and hands the
 * events to the engine in timestamp order with the watermark `now − lag`:
 * every event it will ever deliver up to there has been delivered, as a
 * session's watermark says. Windows are disjoint, so nothing is delivered
 * twice; an event ingested later than `lag` after its timestamp is late, as a
 * live event later than the grace is.
 *
 * Checkpoint: the watermark itself. A poll starts from `resumeFrom` (the
 * oldest clock of its rules, restored after a restart or kept across a
 * reload) or, for new rules, from now − lag: nothing before a restart's
 * checkpoint is counted twice, nothing after it is skipped. Its rules' clocks
 * are what the daemon saves.
 *
 * A poll that fails (throttled, network) covers the same window, grown, on
 * its next attempt; access denied, missing group and invalid parameters are
 * retried slowly with its rules unhealthy. A poll that cannot keep up (a poll
 * starts a whole interval or more after it was due: the budget or the
 * service is too slow) is logged and counted. Time comes from `timers`.
 */
import { logGroupNameOf } from '../aws/index.js';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { EventsHandler } from '../model/ports.js';
import type { LogEvent } from '../model/event.js';
import { after, type Timers } from '../time.js';
import { FetchCancelled, fetchGap } from './backfill.js';
import type { FilterBudget } from './budget.js';
import { classifyError, describeError, policyFor, type RestartReason } from './errors.js';
import { MAX_RESUME_MS } from './session.js';
import { type PollSpec } from './spec.js';

export interface PollMetrics {
  /** Events a poll delivered. */
  polled?(poll: string, events: number): void;
  /** A poll started a whole interval or more late. */
  pollOverrun?(poll: string): void;
  /** A poll failed (it is tried again). */
  pollFailed?(poll: string, reason: string): void;
}

export interface PollDeps {
  readonly api: CloudWatchLogsClient;
  readonly budget?: FilterBudget | undefined;
  readonly onEvents: EventsHandler;
  readonly logger: Logger;
  readonly metrics?: PollMetrics | undefined;
  readonly timers: Timers;
  /** Where to start: the oldest clock of its rules (undefined: new rules, from now − lag). */
  readonly resumeFrom?: number | undefined;
  /** How many polls with these parameters ran before this one in this process (0: none). */
  readonly generation?: number | undefined;
  /** Retry period after access denied, missing group, invalid parameter. */
  readonly slowRetryMs: number;
  /** Most events one poll holds (FilterLogEvents results are held in memory). Default 100,000. */
  readonly maxEvents?: number | undefined;
}

export interface PollStatus {
  readonly id: string;
  /** At least one poll completed. */
  readonly polledOnce: boolean;
  /** The last attempt failed and none has succeeded since. */
  readonly failing: boolean;
  readonly unhealthy: boolean;
  readonly lastReason?: RestartReason | undefined;
  /** How far its watermark is behind where it should be (now − lag), ms. */
  readonly behindMs: number;
  readonly rules: readonly string[];
}

const CHUNK = 500;
/** A poll that is behind logs so at most this often. */
const OVERRUN_LOG_EVERY_MS = 60_000;

export class PolledSource {
  private rulesServed: readonly string[];
  private covered: number;
  private lost: { from: number; to: number } | undefined;
  private stopped = false;
  private readonly stopCtrl = new AbortController();
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private polledOnce = false;
  private failing = false;
  private unhealthy = false;
  private lastReason: RestartReason | undefined;
  /** When the next poll is due (a poll that starts a whole interval after this is an overrun). */
  private due = 0;
  private lastOverrunLog: number | undefined;

  constructor(readonly spec: PollSpec, private readonly deps: PollDeps) {
    this.rulesServed = spec.rules;
    const now = deps.timers.now();
    const oldest = now - MAX_RESUME_MS;
    if (deps.resumeFrom !== undefined && Number.isFinite(deps.resumeFrom)) {
      if (deps.resumeFrom < oldest) {
        deps.logger.warn({ poll: this.id, lastEventAt: new Date(deps.resumeFrom).toISOString(), maxResumeMs: MAX_RESUME_MS }, 'down longer than the backfill limit: older events are not fetched');
        this.lost = { from: deps.resumeFrom, to: oldest };
      }
      this.covered = Math.max(deps.resumeFrom, oldest);
    } else {
      this.covered = now - spec.lagMs;
    }
  }

  get id(): string {
    return this.spec.id;
  }

  /** The id its batches carry (`.N` when started again under the same parameters, like a session). */
  get sourceId(): string {
    return this.deps.generation ? `${this.spec.id}.${this.deps.generation}` : this.spec.id;
  }

  watermark(): number {
    return this.covered;
  }

  setRules(rules: readonly string[]): void {
    this.rulesServed = rules;
  }

  status(): PollStatus {
    const behindMs = Math.max(0, this.deps.timers.now() - this.spec.lagMs - this.covered);
    return { id: this.id, polledOnce: this.polledOnce, failing: this.failing, unhealthy: this.unhealthy, lastReason: this.lastReason, behindMs, rules: this.rulesServed };
  }

  start(): void {
    if (this.stopped || this.due !== 0) return;
    // Announce the poll at once: its rules wait for its watermark from now on.
    this.deps.onEvents({ source: this.sourceId, rules: this.rulesServed, events: [] });
    this.due = this.deps.timers.now();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopCtrl.abort();
    this.cancelTimer?.();
    await this.running;
  }

  /** Polls again at once when it waits for the slow retry (SIGHUP: the group may exist now). */
  retryNow(): void {
    if (this.stopped || !this.unhealthy || this.cancelTimer === undefined) return;
    this.due = this.deps.timers.now();
    this.schedule(0);
  }

  private schedule(ms: number): void {
    this.cancelTimer?.();
    if (this.stopped) return;
    this.cancelTimer = after(this.deps.timers, ms, () => {
      this.cancelTimer = undefined;
      this.running = this.tick().catch((err: unknown) => this.deps.logger.error({ poll: this.id, err }, 'poll failed unexpectedly'));
    });
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = this.deps.timers.now();
    const interval = this.spec.intervalMs;
    if (started - this.due >= interval) this.overrun(started);
    let next = interval;
    try {
      await this.pollWindow();
      this.polledOnce = true;
      this.failing = false;
      this.unhealthy = false;
    } catch (err) {
      if (this.stopped || err instanceof FetchCancelled) return;
      const reason = classifyError(err);
      const slow = policyFor(reason) === 'slow';
      this.failing = true;
      this.unhealthy = slow;
      this.lastReason = reason;
      if (slow) next = Math.max(interval, this.deps.slowRetryMs);
      this.deps.metrics?.pollFailed?.(this.id, reason);
      const fields: Record<string, unknown> = { poll: this.id, reason, error: describeError(err), retryInMs: next };
      if (slow) fields['unhealthyRules'] = this.rulesServed;
      this.deps.logger.warn(fields, 'poll failed: the same window is read again');
    }
    if (this.stopped) return;
    // The next poll is due one interval after this one was; one that ran long starts at once.
    this.due = Math.max(this.due + next, started);
    this.schedule(Math.max(0, this.due - this.deps.timers.now()));
  }

  private overrun(now: number): void {
    this.deps.metrics?.pollOverrun?.(this.id);
    if (this.lastOverrunLog !== undefined && now - this.lastOverrunLog < OVERRUN_LOG_EVERY_MS) return;
    this.lastOverrunLog = now;
    this.deps.logger.warn(
      { poll: this.id, logGroup: logGroupNameOf(this.spec.params.logGroupIdentifiers[0]!), intervalMs: this.spec.intervalMs, lateMs: now - this.due, behindMs: this.status().behindMs, budgetQueued: this.deps.budget?.queued },
      'poll cannot keep up: started an interval or more after it was due (FilterLogEvents budget or service too slow)',
    );
  }

  /** Reads (covered, now − lag] and delivers it; the watermark moves to its end. */
  private async pollWindow(): Promise<void> {
    const end = this.deps.timers.now() - this.spec.lagMs;
    if (end <= this.covered) return this.deliver([], this.covered);
    const budget = this.deps.budget;
    const signal = this.stopCtrl.signal;
    const res = await fetchGap(this.deps.api, this.spec.params, { startTime: this.covered + 1, endTime: end }, {
      signal,
      maxEvents: this.deps.maxEvents,
      beforeCall: budget ? () => budget.acquire('poll', signal) : undefined,
    });
    if (this.stopped) return;
    let events: LogEvent[] = res.events;
    let upTo = end;
    if (res.truncated && events.length > 0) {
      // Too many for one poll: deliver up to the last whole millisecond; the next poll goes on from there.
      const lastTs = events[events.length - 1]!.timestamp;
      if (lastTs - 1 > this.covered) {
        events = events.filter((e) => e.timestamp < lastTs);
        upTo = lastTs - 1;
      } else {
        this.deps.logger.error({ poll: this.id, at: new Date(lastTs).toISOString(), kept: events.length }, 'more events in one millisecond than a poll holds: the rest are not counted');
      }
    }
    this.deliver(events, upTo);
  }

  private deliver(events: readonly LogEvent[], upTo: number): void {
    this.covered = upTo;
    const lost = this.lost;
    this.lost = undefined;
    this.deps.metrics?.polled?.(this.id, events.length);
    if (events.length === 0) {
      this.deps.onEvents({ source: this.sourceId, rules: this.rulesServed, events: [], watermark: upTo, ...(lost ? { lost } : {}) });
      return;
    }
    for (let i = 0; i < events.length; i += CHUNK) {
      const last = i + CHUNK >= events.length;
      const batch = events.slice(i, i + CHUNK);
      this.deps.onEvents({ source: this.sourceId, rules: this.rulesServed, events: batch, ...(last ? { watermark: upTo } : {}), ...(lost && i === 0 ? { lost } : {}) });
    }
  }
}
