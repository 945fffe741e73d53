/**
 * The log groups a shared session was refused for (missing or access
 * denied), found by probing each group of the session alone. They are left
 * out of every session, so the other rules of a refused session keep being
 * served, and probed again every slow retry (or at once, at SIGHUP); one that
 * probes fine goes back in through a re-plan.
 */
import { logGroupNameOf, parseLogGroupArn } from '../aws/index.js';
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../time.js';
import type { SessionClients } from './session.js';
import { probeGroup, type GroupRefusal } from './probe.js';
import { groupRefusalText } from './spec.js';

/** A log group a session was refused for, found by probing; left out of every session until it probes fine. */
interface RefusedGroup {
  readonly region: string;
  readonly arn: string;
  readonly reason: GroupRefusal;
  readonly error: string;
}

const REASON_TEXT: Readonly<Record<GroupRefusal, string>> = { 'not-found': 'not found', 'access-denied': 'access denied' };

export const isRefusal = (reason: string | undefined): reason is GroupRefusal => reason === 'not-found' || reason === 'access-denied';

export interface RefusedGroupsDeps {
  readonly logger: Logger;
  readonly timers: () => Timers;
  /** The clients of a region (the source's current pool). */
  readonly clients: (region: string) => SessionClients;
  /** How long a probe may take (the sessions' stall deadline). */
  readonly probeTimeoutMs: () => number;
  readonly slowRetryMs: () => number;
  /** Plans the last rule set again (a group went bad or came back). */
  readonly reapply: () => Promise<void>;
  readonly stopped: () => boolean;
}

export class RefusedGroups {
  /** Keyed `region\narn`. */
  private readonly groups = new Map<string, RefusedGroup>();
  /** Sessions being probed now, by session key. */
  private readonly probing = new Set<string>();
  private recheckTimer: TimerHandle | undefined;
  /** Keys the planning of the current apply asked about (the others are forgotten by `planned`). */
  private asked = new Set<string>();

  constructor(private readonly deps: RefusedGroupsDeps) {}

  /** `retried every N s and at SIGHUP`: when a waiting rule or group is tried again. */
  retriedText(): string {
    return `retried every ${Math.round(this.deps.slowRetryMs() / 1000)} s and at SIGHUP`;
  }

  /** The planner's exclusion: why a group is left out, or undefined when it is not. */
  exclusion(region: string, arn: string): string | undefined {
    const key = `${region}\n${arn}`;
    const bad = this.groups.get(key);
    if (!bad) return undefined;
    this.asked.add(key);
    const account = parseLogGroupArn(arn)?.account;
    return `${REASON_TEXT[bad.reason]} in ${region}${account ? ` (account ${account})` : ''} (${bad.error}), ${this.retriedText()}`;
  }

  /** Before a plan: start counting which groups it asks about. */
  planning(): void {
    this.asked = new Set();
  }

  /** After a plan: groups no rule names any more are forgotten; the slow recheck is armed for the rest. */
  planned(): void {
    for (const k of [...this.groups.keys()]) if (!this.asked.has(k)) this.groups.delete(k);
    this.schedule();
  }

  /**
   * A session of several log groups was refused as a whole: ask about each group alone, leave
   * the bad ones out and plan again, so the other rules of the session keep being served.
   * `current()` says whether the session is still the one running under its key.
   */
  async probeSession(key: string, session: { id: string; region: string; groups: readonly string[]; rules: () => readonly string[] }, reason: GroupRefusal, current: () => boolean): Promise<void> {
    if (this.probing.has(key) || this.deps.stopped()) return;
    this.probing.add(key);
    try {
      const clients = this.deps.clients(session.region);
      const found: RefusedGroup[] = [];
      for (const arn of session.groups) {
        if (this.deps.stopped() || !current()) return;
        const r = await probeGroup(clients, arn, reason, { timeoutMs: this.deps.probeTimeoutMs(), timers: this.deps.timers() });
        if (r.state === 'bad') found.push({ region: session.region, arn, reason: r.reason, error: r.error });
      }
      if (found.length === 0 || this.deps.stopped() || !current()) return;
      for (const b of found) {
        this.groups.set(`${b.region}\n${b.arn}`, b);
        this.deps.logger.warn(
          { region: b.region, logGroup: logGroupNameOf(b.arn), account: parseLogGroupArn(b.arn)?.account, reason: b.reason, error: b.error, session: session.id, rules: session.rules() },
          `${groupRefusalText(b.arn, b.region, b.reason)}: left out of its session, ${this.retriedText()}`,
        );
      }
      await this.deps.reapply();
    } catch (err) {
      this.deps.logger.error({ session: session.id, err }, 'probing the log groups of a refused session failed');
    } finally {
      this.probing.delete(key);
    }
  }

  /** SIGHUP: probe the groups left out now instead of at the next slow retry. */
  retryNow(): void {
    if (this.groups.size === 0) return;
    this.deps.timers().clearTimeout(this.recheckTimer);
    void this.recheck().catch((err: unknown) => this.deps.logger.error({ err }, 'rechecking unavailable log groups failed'));
  }

  stop(): void {
    this.deps.timers().clearTimeout(this.recheckTimer);
  }

  private schedule(): void {
    this.deps.timers().clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    if (this.groups.size === 0 || this.deps.stopped()) return;
    const recheck = (): void => void this.recheck().catch((err: unknown) => this.deps.logger.error({ err }, 'rechecking unavailable log groups failed'));
    this.recheckTimer = this.deps.timers().setTimeout(recheck, this.deps.slowRetryMs(), { unref: true });
  }

  /** The slow retry of the groups left out: each one that probes fine goes back in. */
  private async recheck(): Promise<void> {
    if (this.deps.stopped()) return;
    let back = 0;
    for (const [k, b] of [...this.groups]) {
      const r = await probeGroup(this.deps.clients(b.region), b.arn, b.reason, { timeoutMs: this.deps.probeTimeoutMs(), timers: this.deps.timers() });
      if (this.deps.stopped()) return;
      if (r.state === 'ok') {
        this.groups.delete(k);
        back++;
        this.deps.logger.info({ region: b.region, logGroup: logGroupNameOf(b.arn), was: b.reason }, 'log group available again: back in its session');
      } else if (r.state === 'bad' && r.reason !== b.reason) {
        this.groups.set(k, { ...b, reason: r.reason, error: r.error });
      }
    }
    if (back > 0) await this.deps.reapply();
    else this.schedule();
  }
}
