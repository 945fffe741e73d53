/**
 * Re-posts a destination's open firings every `resendInterval`, the way
 * Prometheus re-sends its active alerts every `resend_delay`: each to every
 * peer, with `endsAt` = now + 4 × the interval. A peer that restarted (an
 * Alertmanager keeps alerts in memory only) learns them again within one
 * interval, and if every tailwatch replica dies the alerts expire in
 * Alertmanager after four missed re-posts instead of staying active forever.
 *
 * Resolves are re-posted too (with their own `endsAt`) for RESOLVED_RETENTION
 * after they were delivered, as Prometheus keeps sending resolved alerts
 * for 15 minutes: a peer that missed the resolve learns it.
 *
 * A firing whose rule no longer resolves (a reload turned `resolve` off or
 * removed the rule without a resolve) is dropped from the set: nothing would
 * ever close it.
 *
 * Failures are logged, never retried: the next round posts everything again.
 * Time comes from an injected clock; tests step it.
 */
import type { Logger } from 'pino';
import type { SendOutcome } from '../notifier.js';
import type { OpenSet } from './open-set.js';
import type { AmAlert } from './payload.js';

/** How long a delivered resolve is re-posted (Prometheus: resolvedRetention). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;
/** Re-posted firings carry `endsAt` = now + this many intervals (Prometheus: 4 × max(resend_delay, evaluation interval)). */
export const ENDS_AFTER_INTERVALS = 4;
/** Alerts per request of a re-post round. */
const BATCH = 500;

export interface Clock {
  now(): number;
  /** `fn` may return a promise (a re-post round); a test clock can await it. */
  setTimeout(fn: () => unknown, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ReposterOptions {
  readonly set: OpenSet;
  readonly intervalMs: number;
  /** Posts one request to every peer; one outcome per peer, in peer order. */
  readonly post: (alerts: readonly AmAlert[], signal: AbortSignal) => Promise<readonly SendOutcome[]>;
  readonly resolves: (ruleId: string) => boolean;
  readonly clock: Clock;
  readonly logger?: Logger | undefined;
}

export class Reposter {
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Aborts the requests of a round in flight on stop (shutdown does not wait for them). */
  private readonly abort = new AbortController();
  /** The last failure logged per peer (logged again only when it changes). */
  private readonly peerProblems = new Map<number, string>();

  constructor(private readonly opts: ReposterOptions) {}

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    // A fixed cadence: the next round is armed when this one starts; a round still in flight when
    // the next falls due absorbs it (tick() joins it).
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.start();
      return this.tick();
    }, this.opts.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when no round is in flight (a resolve waits for it: a late re-post must not reopen it). */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** One round: everything open, and resolves within the retention, to every peer. */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    const { set, clock, intervalMs } = this.opts;
    const t = clock.now();
    let alerts: AmAlert[];
    try {
      set.purgeClosed(t - RESOLVED_RETENTION_MS);
      const entries = set.entries();
      const orphans = entries.filter((e) => e.state === 'open' && !this.opts.resolves(e.ruleId));
      if (orphans.length > 0) {
        set.drop(orphans.map((e) => e.key));
        this.opts.logger?.info({ alerts: orphans.length, rules: [...new Set(orphans.map((e) => e.ruleId))] }, 'alertmanager: open firings of rules that no longer resolve are no longer re-posted');
      }
      const endsAt = new Date(t + ENDS_AFTER_INTERVALS * intervalMs).toISOString();
      alerts = entries.filter((e) => !orphans.includes(e)).map((e) => (e.state === 'open' ? { ...e.alert, endsAt } : e.alert));
    } catch (err) {
      this.opts.logger?.error({ err: (err as Error)?.name, code: (err as { code?: unknown })?.code }, 'alertmanager: open firings unreadable; re-post round skipped');
      return;
    }
    for (let i = 0; i < alerts.length && !this.stopped; i += BATCH) {
      const outcomes = await this.opts.post(alerts.slice(i, i + BATCH), this.abort.signal);
      if (!this.stopped) this.report(outcomes);
    }
  }

  private report(outcomes: readonly SendOutcome[]): void {
    outcomes.forEach((o, i) => {
      const problem = o.ok ? undefined : o.detail;
      if (problem === this.peerProblems.get(i)) return;
      if (problem === undefined) {
        this.peerProblems.delete(i);
        this.opts.logger?.info({ peer: i + 1 }, 'alertmanager: peer takes re-posts again');
      } else {
        this.peerProblems.set(i, problem);
        this.opts.logger?.warn({ peer: i + 1, error: problem }, 'alertmanager: re-post to a peer failed; the next round tries again');
      }
    });
  }
}
