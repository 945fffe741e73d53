/**
 * The daemon's EventSource over Live Tail: plans sessions for a rule set and
 * keeps one SupervisedSession per planned session. `apply` keeps sessions
 * whose StartLiveTail parameters (and AWS settings) did not change — the same
 * objects, serving the new rule ids — and starts/stops only the others.
 *
 * With `sessions.strategy: adaptive` it also watches every session's updates
 * (./adaptive.ts): a session sampled too often is split, quiet splits are
 * merged back, through the same re-planning; the decisions and each
 * session's observed rate are saved through `planState` (state.dir).
 */
import { logGroupNameOf, parseLogGroupArn, stableJson } from '../aws/index.js';
import type { CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from 'pino';
import type { Config, RuleSet } from '../model/config.js';
import type { EventSource, EventsHandler, SourceHealth } from '../model/ports.js';
import { realTimers, type TimerHandle, type Timers } from '../time.js';
import { ADAPTIVE_DEFAULTS, decideAdaptive, EMPTY_ADAPTIVE_STATE, observedSession, parsePlanState, PLAN_STATE_VERSION, type AdaptiveChange, type AdaptiveDecision, type AdaptiveState, type AdaptiveThresholds, type ObservedStats, type PlanStateFile } from './adaptive.js';
import { resolveArns } from './arns.js';
import { FilterBudget } from './budget.js';
import { ClientPool } from './client.js';
import { planSessions, type ArnResolver, type GroupExclusion } from './planner.js';
import { PolledSource, type PollMetrics } from './poll.js';
import { probeGroup, type GroupRefusal } from './probe.js';
import { SupervisedSession, type RestartInfo, type SourceMetrics, type SupervisorSettings } from './session.js';
import { groupRefusalText, type Plan, type UnplacedRule } from './spec.js';

export interface LiveTailSourceOptions {
  readonly onEvents: EventsHandler;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: (SourceMetrics & PollMetrics) | undefined;
  /** The clock and every timer of its sessions, polls, budgets and retries. Default: the process's. */
  readonly timers?: Timers | undefined;
  /** [0,1) for backoff jitter; default Math.random. */
  readonly random?: (() => number) | undefined;
  /** Environment for the credentials decision; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Credentials for every client instead of the default chain (tests). A provider is asked again
   * when a session's credentials are refused (ExpiredTokenException and the like).
   */
  readonly credentials?: CloudWatchLogsClientConfig['credentials'] | undefined;
  /** Retry period of sessions whose rules are unhealthy. Default: 5 min (at least backoff max). */
  readonly slowRetryMs?: number | undefined;
  /** Default 5 s. */
  readonly backfillOverlapMs?: number | undefined;
  /**
   * Where a new session serving these rules starts: the last instant they decided (their clocks,
   * restored after a restart or kept across a reload). It backfills from there.
   */
  readonly resumeFrom?: ((rules: readonly string[]) => number | undefined) | undefined;
  /** Told of every session restart (after it is logged): `tail` reports them itself. */
  readonly onRestart?: ((info: RestartInfo) => void) | undefined;
  /**
   * Where the adaptive decisions and the sessions' observed rates are kept (the daemon:
   * `state.dir/plan-state.json`): read once at construction, written on every decision and
   * every few seconds while updates flow. Without it nothing is kept.
   */
  readonly planState?: { load(): unknown; save(state: PlanStateFile): void } | undefined;
  /** The adaptive strategy's windows and thresholds. Default ADAPTIVE_DEFAULTS. */
  readonly adaptive?: AdaptiveThresholds | undefined;
}

/** A log group a session was refused for, found by probing; left out of every session until it probes fine. */
interface BadGroup {
  readonly region: string;
  readonly arn: string;
  readonly reason: GroupRefusal;
  readonly error: string;
}

const REASON_TEXT: Readonly<Record<GroupRefusal, string>> = { 'not-found': 'not found', 'access-denied': 'access denied' };
const isRefusal = (reason: string | undefined): reason is GroupRefusal => reason === 'not-found' || reason === 'access-denied';

const DEFAULT_SLOW_RETRY_MS = 5 * 60_000;
/** The observed rates in the plan state are rewritten this often while updates flow. */
const SAVE_STATS_EVERY_MS = 10_000;
/** The service's FilterLogEvents quota is a few calls a second per account and region. */
const DEFAULT_FILTER_CALLS_PER_SECOND = 5;

export class LiveTailSource implements EventSource {
  private readonly sessions = new Map<string, SupervisedSession>();
  /** Polls of polled rules, keyed like sessions (AWS settings, poll id). */
  private readonly polls = new Map<string, PolledSource>();
  private readonly pools = new Map<string, ClientPool>();
  private readonly budgets = new Map<string, FilterBudget>();
  /** Sessions started per key so far: a session started again under the same parameters is told its generation. */
  private readonly generations = new Map<string, number>();

  private nextGeneration(key: string): number {
    const g = this.generations.get(key) ?? 0;
    this.generations.set(key, g + 1);
    return g;
  }
  private unplaced: readonly UnplacedRule[] = [];
  private config: Config;
  private planned = false;
  private stopped = false;
  private chain: Promise<unknown> = Promise.resolve();
  private lastPlan: Plan | undefined;
  private replanTimer: TimerHandle | undefined;
  private partlyServed: readonly UnplacedRule[] = [];
  /** Keyed `region\narn`. */
  private readonly badGroups = new Map<string, BadGroup>();
  private readonly probing = new Set<string>();
  private recheckTimer: TimerHandle | undefined;
  /** The last apply left log group names unresolved (not found, or the lookup failed). */
  private unresolvedNames = false;
  private lastApplied: { ruleSet: RuleSet; config: Config } | undefined;
  /** The last apply's name resolution and exclusions: adaptive decisions between applies plan with them. */
  private lastPlanning: { resolver: ArnResolver; exclude: GroupExclusion } | undefined;
  private adaptiveState: AdaptiveState = EMPTY_ADAPTIVE_STATE;
  /** Per session id, its update count when the adaptive decision last looked at it. */
  private readonly lastLooked = new Map<string, number>();
  /** Changes that did not change anything (not split, stays split), logged once a plan. */
  private readonly noted = new Set<string>();
  private lastSave: number | undefined;
  private saveFailed = false;
  private readonly thresholds: AdaptiveThresholds;

  constructor(private readonly opts: LiveTailSourceOptions) {
    this.config = opts.config;
    this.thresholds = opts.adaptive ?? ADAPTIVE_DEFAULTS;
    if (opts.planState) {
      let raw: unknown;
      try {
        raw = opts.planState.load();
      } catch (err) {
        opts.logger.error({ error: (err as Error).message }, 'plan state unreadable; starting without adaptive decisions');
      }
      if (raw !== undefined) {
        const saved = parsePlanState(raw);
        if (saved === undefined) opts.logger.warn('plan state of another version ignored; starting without adaptive decisions');
        else {
          this.adaptiveState = { splits: saved.splits };
          const active = saved.splits.filter((s) => s.active);
          if (active.length > 0) opts.logger.info({ splits: active.map((s) => ({ from: s.from, since: s.since, reason: s.reason })) }, `adaptive plan restored: ${active.length} split session${active.length === 1 ? '' : 's'}`);
        }
      }
    }
  }

  private clock(): number {
    return this.timers().now();
  }

  /** What the running sessions observed, by session id. */
  private observed(): Map<string, ObservedStats> {
    return new Map([...this.sessions.values()].map((s) => [s.id, s.stats()]));
  }

  /** Logs what an adaptive decision changed (or why it did not) and keeps its decisions. */
  private takeDecision(d: AdaptiveDecision): boolean {
    const before = this.adaptiveState;
    this.adaptiveState = d.state;
    let changed = d.state.splits.length !== before.splits.length || d.state.splits.some((s, i) => s !== before.splits[i]);
    for (const c of d.changes) this.logChange(c);
    if (d.changes.some((c) => c.kind === 'split' || c.kind === 'merge')) changed = true;
    if (changed) this.saveState();
    return changed;
  }

  private logChange(c: AdaptiveChange): void {
    const fields = { region: c.region, logGroups: c.logGroups, sessions: c.sessions, into: c.into, reason: c.reason };
    const log = this.opts.logger;
    if (c.kind === 'split') log.info({ session: c.sessions[0], ...fields }, `session split: ${c.reason}`);
    else if (c.kind === 'merge') log.info(fields, `sessions merged: ${c.reason}`);
    else {
      const key = `${c.kind}|${c.sessions.join(',')}`;
      if (this.noted.has(key)) return;
      this.noted.add(key);
      if (c.kind === 'not-split') log.warn({ session: c.sessions[0], ...fields }, `session not split: ${c.reason}`);
      else log.info(fields, `sessions stay split: ${c.reason}`);
    }
  }

  /** After every update: the adaptive strategy looks again when a session may need a split or its parts a merge. */
  private onUpdate(session: SupervisedSession): void {
    if (this.stopped) return;
    const now = this.clock();
    if (this.opts.planState && (this.lastSave === undefined || now - this.lastSave >= SAVE_STATS_EVERY_MS)) this.saveState();
    if (this.config.sessions.strategy !== 'adaptive' || !this.lastApplied || !this.lastPlanning) return;
    const t = this.thresholds;
    const st = session.stats();
    const looked = this.lastLooked.get(session.id);
    // A first look at once; then at most once every `window` updates of the session.
    if (looked !== undefined && st.updates - looked < t.window) return;
    const part = this.lastPlan?.sessions.some((s) => s.id === session.id && s.splitOf?.length) ?? false;
    const mayMerge = part && st.long.updates >= t.quietUpdates && st.long.sampled === 0;
    if (st.recent.sampled <= t.splitAbove && !mayMerge) return;
    this.lastLooked.set(session.id, st.updates);
    const { ruleSet, config } = this.lastApplied;
    const d = decideAdaptive({ ruleSet, config, resolveArn: this.lastPlanning.resolver, exclude: this.lastPlanning.exclude, state: this.adaptiveState, observed: this.observed(), now, thresholds: t });
    if (this.takeDecision(d) && d.changes.some((c) => c.kind === 'split' || c.kind === 'merge')) void this.reapply().catch(() => undefined);
  }

  /** Writes the decisions and the running sessions' observed rates (`tailwatch plan` shows them). */
  private saveState(): void {
    if (!this.opts.planState) return;
    this.lastSave = this.clock();
    const specs = new Map((this.lastPlan?.sessions ?? []).map((s) => [s.id, s]));
    const sessions = [...this.sessions.values()].map((s) => observedSession({ id: s.id, region: s.spec.region, rules: specs.get(s.id)?.rules ?? s.status().rules }, s.stats()));
    const state: PlanStateFile = { version: PLAN_STATE_VERSION, savedAt: new Date(this.lastSave).toISOString(), strategy: this.config.sessions.strategy, splits: this.adaptiveState.splits, sessions };
    try {
      this.opts.planState.save(state);
      this.saveFailed = false;
    } catch (err) {
      if (!this.saveFailed) this.opts.logger.error({ error: (err as Error).message }, 'saving the plan state failed');
      this.saveFailed = true;
    }
  }

  /** The plan of the last `apply`. */
  plan(): Plan | undefined {
    return this.lastPlan;
  }

  apply(ruleSet: RuleSet, config: Config): Promise<void> {
    const run = this.chain.then(() => this.doApply(ruleSet, config));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private settings(): SupervisorSettings {
    const s = this.config.sessions;
    return {
      backoff: s.backoff,
      stallAfterMs: s.stallAfterMs,
      rotateAfterMs: s.rotateAfterMs,
      backfill: s.backfill,
      slowRetryMs: this.opts.slowRetryMs ?? Math.max(DEFAULT_SLOW_RETRY_MS, s.backoff.maxMs),
      backfillOverlapMs: this.opts.backfillOverlapMs ?? 5_000,
      dedupeCapacity: 20_000,
      graceMs: s.graceMs,
      completionDelayMs: s.completionDelayMs,
      completionMaxLagMs: s.completionMaxLagMs,
    };
  }

  private pool(config: Config): { key: string; pool: ClientPool } {
    const key = stableJson(config.aws);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new ClientPool(config.aws, this.opts.env, this.opts.credentials);
      this.pools.set(key, pool);
    }
    return { key, pool };
  }

  /** The FilterLogEvents budget of one account and region (shared by its sessions' backfills and completions). */
  private budget(awsKey: string, region: string, config: Config): FilterBudget {
    const key = `${awsKey}\n${region}`;
    let b = this.budgets.get(key);
    if (!b) {
      b = new FilterBudget(config.aws.filterLogEventsPerSecond ?? DEFAULT_FILTER_CALLS_PER_SECOND, this.timers());
      this.budgets.set(key, b);
    }
    return b;
  }

  private async doApply(ruleSet: RuleSet, config: Config): Promise<void> {
    if (this.stopped) return;
    this.config = config;
    const { key: awsKey, pool } = this.pool(config);
    const resolved = await resolveArns(ruleSet, config, (region) => pool.get(region, 'api'));
    let unresolved = 0;
    const resolver: ArnResolver = (region, name) => {
      const r = resolved(region, name);
      if (typeof r !== 'string') unresolved++;
      return r;
    };
    const excludedHit = new Set<string>();
    const exclude: GroupExclusion = (region, arn) => {
      const bad = this.badGroups.get(`${region}\n${arn}`);
      if (!bad) return undefined;
      excludedHit.add(`${region}\n${arn}`);
      const account = parseLogGroupArn(arn)?.account;
      return `${REASON_TEXT[bad.reason]} in ${region}${account ? ` (account ${account})` : ''} (${bad.error}), ${this.retriedText()}`;
    };
    this.lastPlanning = { resolver: resolved, exclude };
    this.noted.clear();
    // Adaptive: the decisions kept, and new ones from what the running sessions observed.
    const decision = decideAdaptive({ ruleSet, config, resolveArn: resolver, exclude, state: this.adaptiveState, observed: this.observed(), now: this.clock(), thresholds: this.thresholds });
    const plan = decision.plan;
    this.takeDecision(decision);
    // Groups no rule names any more are forgotten.
    for (const k of [...this.badGroups.keys()]) if (!excludedHit.has(k)) this.badGroups.delete(k);
    this.lastApplied = { ruleSet, config };
    this.scheduleRecheck();
    // A log group that does not exist yet (or could not be looked up) may later: plan again, slowly.
    this.timers().clearTimeout(this.replanTimer);
    this.unresolvedNames = unresolved > 0;
    if (unresolved > 0) this.replanTimer = this.timers().setTimeout(() => void this.apply(ruleSet, config).catch(() => undefined), this.settings().slowRetryMs, { unref: true });
    const before = this.lastPlan ? [...this.lastPlan.sessions, ...this.lastPlan.polls].map((s) => s.id).join() : '';
    this.lastPlan = plan;
    if ([...plan.sessions, ...plan.polls].map((s) => s.id).join() !== before) this.logPlan(plan, config);
    this.unplaced = plan.unplaced;
    this.partlyServed = plan.partlyServed;
    for (const u of plan.unplaced) this.opts.logger.error({ rule: u.rule, reason: u.reason }, 'rule has no Live Tail session');
    const wanted = new Map(plan.sessions.map((s) => [`${awsKey}|${s.id}`, s]));
    const gone = [...this.sessions].filter(([k]) => !wanted.has(k));
    for (const [k] of gone) this.sessions.delete(k);
    await Promise.all(gone.map(([, s]) => s.stop()));
    for (const [k, spec] of wanted) {
      const existing = this.sessions.get(k);
      if (existing) {
        // A rule that comes from another session with a clock of its own needs this session's
        // events since that clock: start it again, backfilling from there. New rules start live.
        const served = new Set(existing.status().rules);
        const behind = spec.rules.some((r) => !served.has(r) && this.opts.resumeFrom?.([r]) !== undefined);
        if (!behind) {
          existing.setRules(spec.rules);
          continue;
        }
        this.sessions.delete(k);
        await existing.stop();
      }
      const session = new SupervisedSession(spec, {
        live: pool.get(spec.region, 'live'),
        api: pool.get(spec.region, 'api'),
        refreshClients: (stale) => pool.refresh(spec.region, stale),
        budget: this.budget(awsKey, spec.region, config),
        generation: this.nextGeneration(k),
        onEvents: this.opts.onEvents,
        logger: this.opts.logger,
        metrics: this.opts.metrics,
        settings: () => this.settings(),
        timers: this.timers(),
        random: this.opts.random ?? Math.random,
        resumeFrom: this.opts.resumeFrom?.(spec.rules),
        onRestart: (info) => this.onRestart(k, session, info),
        onUpdate: (s) => this.onUpdate(s),
        thresholds: this.thresholds,
      });
      this.sessions.set(k, session);
      session.start();
    }
    await this.applyPolls(plan, awsKey, pool, config);
    for (const [k, pool] of this.pools) {
      if (k !== awsKey) {
        pool.destroy();
        this.pools.delete(k);
      }
    }
    this.planned = true;
    for (const id of [...this.lastLooked.keys()]) if (!plan.sessions.some((s) => s.id === id)) this.lastLooked.delete(id);
    this.saveState();
  }

  /** The injected clock and timers. Polls' timers are referenced, so a process that only polls (`tail` of a polled rule) stays up. */
  private timers(): Timers {
    return this.opts.timers ?? realTimers;
  }

  /** Polls of the plan: unchanged ones keep running (new rule ids), the others stop or start. */
  private async applyPolls(plan: Plan, awsKey: string, pool: ClientPool, config: Config): Promise<void> {
    const wanted = new Map(plan.polls.map((p) => [`${awsKey}|${p.id}`, p]));
    const gone = [...this.polls].filter(([k]) => !wanted.has(k));
    for (const [k] of gone) this.polls.delete(k);
    await Promise.all(gone.map(([, p]) => p.stop()));
    for (const [k, spec] of wanted) {
      const existing = this.polls.get(k);
      if (existing) {
        // As for sessions: a rule with a clock of its own joining this poll needs its events since
        // that clock, so the poll starts again (a new generation) from there.
        const served = new Set(existing.status().rules);
        const behind = spec.rules.some((r) => !served.has(r) && this.opts.resumeFrom?.([r]) !== undefined);
        if (!behind) {
          existing.setRules(spec.rules);
          continue;
        }
        this.polls.delete(k);
        await existing.stop();
      }
      const poll = new PolledSource(spec, {
        api: pool.get(spec.region, 'api'),
        budget: this.budget(awsKey, spec.region, config),
        onEvents: this.opts.onEvents,
        logger: this.opts.logger,
        metrics: this.opts.metrics,
        timers: this.timers(),
        resumeFrom: this.opts.resumeFrom?.(spec.rules),
        generation: this.nextGeneration(k),
        slowRetryMs: this.settings().slowRetryMs,
      });
      this.polls.set(k, poll);
      poll.start();
    }
  }

  /** The sessions `run` opens and what they cost a month (at start, and when a reload or a split changes them). */
  private logPlan(plan: Plan, config: Config): void {
    const n = plan.sessions.length;
    const sessions = plan.sessions.map((s) => ({ session: s.id, region: s.region, logGroups: s.params.logGroupIdentifiers.map(logGroupNameOf), rules: s.rules, monthlyCost: s.monthlyCost }));
    // Polled rules' polls, when there are any (no session-minutes; FilterLogEvents calls within the budget).
    const polls = plan.polls.map((p) => ({ poll: p.id, region: p.region, logGroup: logGroupNameOf(p.params.logGroupIdentifiers[0]!), intervalMs: p.intervalMs, lagMs: p.lagMs, rules: p.rules, callsPerMinute: p.callsPerMinute }));
    const calls = Math.round(plan.polls.reduce((sum, p) => sum + p.callsPerMinute, 0) * 100) / 100;
    const pollText = polls.length > 0 ? `; ${polls.length} poll${polls.length === 1 ? '' : 's'}, ${calls} FilterLogEvents calls/minute` : '';
    this.opts.logger.info(
      { sessions, ...(polls.length > 0 ? { polls } : {}), monthlyCost: plan.monthlyCost, pricePerMinute: config.sessions.pricePerMinute, strategy: config.sessions.strategy },
      `Live Tail plan: ${n} session${n === 1 ? '' : 's'}, $${plan.monthlyCost.toFixed(2)}/month at $${config.sessions.pricePerMinute} per session-minute${pollText}`,
    );
  }

  private retriedText(): string {
    return `retried every ${Math.round(this.settings().slowRetryMs / 1000)} s and at SIGHUP`;
  }

  /**
   * Retries what waits for the slow retry now (the daemon calls it on SIGHUP: the user may have
   * created the group or fixed the policy): sessions refused for a missing or denied group start
   * again, groups left out are probed again, names not found are looked up again.
   */
  retryUnhealthy(): void {
    if (this.stopped) return;
    for (const s of this.sessions.values()) if (s.status().unhealthy) s.retryNow();
    for (const p of this.polls.values()) if (p.status().unhealthy) p.retryNow();
    if (this.badGroups.size > 0) {
      this.timers().clearTimeout(this.recheckTimer);
      void this.recheck().catch((err: unknown) => this.opts.logger.error({ err }, 'rechecking unavailable log groups failed'));
    }
    if (this.unresolvedNames) {
      this.timers().clearTimeout(this.replanTimer);
      void this.reapply().catch(() => undefined);
    }
  }

  private onRestart(key: string, session: SupervisedSession, info: RestartInfo): void {
    try {
      this.opts.onRestart?.(info);
    } catch (err) {
      this.opts.logger.error({ err }, 'restart handler failed');
    }
    const groups = session.spec.params.logGroupIdentifiers;
    if (info.roleRefused !== undefined) {
      // The role was refused, not a log group: probing groups would blame each of them.
      if (info.unhealthy) {
        this.opts.logger.warn(
          { region: session.spec.region, role: info.roleRefused, reason: info.reason, error: info.error, session: session.id, rules: info.rules, sessionRefused: true },
          `role ${info.roleRefused} could not be assumed in ${session.spec.region}: its rules wait, ${this.retriedText()}`,
        );
      }
    } else if (isRefusal(info.reason) && groups.length > 1) void this.probeSession(key, session, info.reason);
    else if (isRefusal(info.reason)) {
      // A session of one group is its own probe: say which group, where, and in which account.
      const arn = groups[0]!;
      this.opts.logger.warn(
        { region: session.spec.region, logGroup: logGroupNameOf(arn), account: parseLogGroupArn(arn)?.account, reason: info.reason, error: info.error, session: session.id, rules: info.rules, sessionRefused: true },
        `${groupRefusalText(arn, session.spec.region, info.reason)}: its rules wait, ${this.retriedText()}`,
      );
    }
  }

  /**
   * A session of several log groups was refused as a whole: ask about each group alone, leave
   * the bad ones out and plan again, so the other rules of the session keep being served.
   * A session of one group is its own probe (it retries slowly, its rules unhealthy).
   */
  private async probeSession(key: string, session: SupervisedSession, reason: GroupRefusal): Promise<void> {
    if (this.probing.has(key) || this.stopped) return;
    this.probing.add(key);
    try {
      const { pool } = this.pool(this.config);
      const region = session.spec.region;
      const clients = { live: pool.get(region, 'live'), api: pool.get(region, 'api') };
      const found: BadGroup[] = [];
      for (const arn of session.spec.params.logGroupIdentifiers) {
        if (this.stopped || this.sessions.get(key) !== session) return;
        const r = await probeGroup(clients, arn, reason, { timeoutMs: this.config.sessions.stallAfterMs, timers: this.timers() });
        if (r.state === 'bad') found.push({ region, arn, reason: r.reason, error: r.error });
      }
      if (found.length === 0 || this.stopped || this.sessions.get(key) !== session) return;
      for (const b of found) {
        this.badGroups.set(`${b.region}\n${b.arn}`, b);
        const rules = session.status().rules;
        this.opts.logger.warn(
          { region: b.region, logGroup: logGroupNameOf(b.arn), account: parseLogGroupArn(b.arn)?.account, reason: b.reason, error: b.error, session: session.id, rules },
          `${groupRefusalText(b.arn, b.region, b.reason)}: left out of its session, ${this.retriedText()}`,
        );
      }
      await this.reapply();
    } catch (err) {
      this.opts.logger.error({ session: session.id, err }, 'probing the log groups of a refused session failed');
    } finally {
      this.probing.delete(key);
    }
  }

  /** Plans the last rule set again (a group went bad or came back). */
  private reapply(): Promise<void> {
    const run = this.chain.then(() => (this.lastApplied && !this.stopped ? this.doApply(this.lastApplied.ruleSet, this.lastApplied.config) : undefined));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private scheduleRecheck(): void {
    this.timers().clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    if (this.badGroups.size === 0 || this.stopped) return;
    const recheck = (): void => void this.recheck().catch((err: unknown) => this.opts.logger.error({ err }, 'rechecking unavailable log groups failed'));
    this.recheckTimer = this.timers().setTimeout(recheck, this.settings().slowRetryMs, { unref: true });
  }

  /** The slow retry of the groups left out: each one that probes fine goes back in. */
  private async recheck(): Promise<void> {
    if (this.stopped) return;
    const { pool } = this.pool(this.config);
    let back = 0;
    for (const [k, b] of [...this.badGroups]) {
      const clients = { live: pool.get(b.region, 'live'), api: pool.get(b.region, 'api') };
      const r = await probeGroup(clients, b.arn, b.reason, { timeoutMs: this.config.sessions.stallAfterMs, timers: this.timers() });
      if (this.stopped) return;
      if (r.state === 'ok') {
        this.badGroups.delete(k);
        back++;
        this.opts.logger.info({ region: b.region, logGroup: logGroupNameOf(b.arn), was: b.reason }, 'log group available again: back in its session');
      } else if (r.state === 'bad' && r.reason !== b.reason) {
        this.badGroups.set(k, { ...b, reason: r.reason, error: r.error });
      }
    }
    if (back > 0) await this.reapply();
    else this.scheduleRecheck();
  }

  sourceIds(): string[] {
    return [...[...this.sessions.values()].map((s) => s.sourceId), ...[...this.polls.values()].map((p) => p.sourceId)];
  }

  health(): SourceHealth {
    const statuses = [...this.sessions.values()].map((s) => s.status());
    const unhealthy = new Set<string>();
    for (const st of statuses) if (st.unhealthy) for (const r of st.rules) unhealthy.add(r);
    for (const u of this.unplaced) unhealthy.add(u.rule);
    // Served on some of its log groups only: still unhealthy (events of the others are missed).
    for (const u of this.partlyServed) unhealthy.add(u.rule);
    const details = [...this.sessions.values()].map((session) => {
      const st = session.status();
      const groups = session.spec.params.logGroupIdentifiers;
      // Refused for a group: which one, where and in which account (a session of several groups is probed: see the exclusions).
      const why = st.failing && isRefusal(st.lastReason) && groups.length === 1 ? `: ${groupRefusalText(groups[0]!, session.spec.region, st.lastReason)}` : '';
      return `${st.id}: ${st.state}${st.failing ? ` (failing: ${st.lastReason}${why})` : ''} [${st.rules.join(', ')}]`;
    });
    const polls = [...this.polls.values()].map((p) => ({ p, st: p.status() }));
    for (const { p, st } of polls) {
      if (st.unhealthy) for (const r of st.rules) unhealthy.add(r);
      // Lag: how far its watermark trails now − lag (up to one interval is its normal rhythm).
      const behind = st.behindMs > p.spec.intervalMs ? `, ${Math.round(st.behindMs / 1000)} s behind (cannot keep up)` : '';
      const state = !st.polledOnce && !st.failing ? 'starting' : `polling every ${Math.round(p.spec.intervalMs / 1000)} s, covered to ${Math.round((st.behindMs + p.spec.lagMs) / 1000)} s ago`;
      details.push(`${st.id}: ${state}${behind}${st.failing ? ` (failing: ${st.lastReason})` : ''} [${st.rules.join(', ')}]`);
    }
    for (const u of this.unplaced) details.push(`${u.rule}: not placed: ${u.reason}`);
    for (const u of this.partlyServed) details.push(`${u.rule}: partly served: ${u.reason}`);
    return {
      ready: this.planned && !this.stopped && statuses.every((st) => st.startedOnce && !st.failing) && polls.every(({ st }) => st.polledOnce && !st.failing),
      details,
      unhealthyRules: [...unhealthy].sort(),
    };
  }

  stop(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.stopped) return;
      this.stopped = true;
      this.timers().clearTimeout(this.replanTimer);
      this.timers().clearTimeout(this.recheckTimer);
      if (this.planned) this.saveState();
      const all = [...this.sessions.values()];
      this.sessions.clear();
      const polls = [...this.polls.values()];
      this.polls.clear();
      await Promise.all([...all.map((s) => s.stop()), ...polls.map((p) => p.stop())]);
      for (const p of this.pools.values()) p.destroy();
      this.pools.clear();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
