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
import { observedSession, type AdaptiveDecision, type AdaptiveThresholds, type ObservedStats, type PlanStateFile } from './adaptive.js';
import { AdaptiveKeeper } from './adaptive-keeper.js';
import { resolveArns } from './arns.js';
import { FilterBudget } from './budget.js';
import { ClientPool } from './client.js';
import { type ArnResolver, type GroupExclusion } from './planner.js';
import { PolledSource, type PollMetrics } from './poll.js';
import { isRefusal, RefusedGroups } from './refused-groups.js';
import { logPlan, sourceHealth } from './source-report.js';
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

const DEFAULT_SLOW_RETRY_MS = 5 * 60_000;
/** The service's FilterLogEvents quota is a few calls a second per account and region. */
const DEFAULT_FILTER_CALLS_PER_SECOND = 5;

/** What a session and a poll have in common for re-planning. */
interface RunningPart {
  status(): { readonly rules: readonly string[] };
  setRules(rules: readonly string[]): void;
  stop(): Promise<void>;
}

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
  /** Log groups left out of every session after a refusal, probed again slowly. */
  private readonly refused: RefusedGroups;
  /** The last apply left log group names unresolved (not found, or the lookup failed). */
  private unresolvedNames = false;
  private lastApplied: { ruleSet: RuleSet; config: Config } | undefined;
  /** The last apply's name resolution and exclusions: adaptive decisions between applies plan with them. */
  private lastPlanning: { resolver: ArnResolver; exclude: GroupExclusion } | undefined;
  /** The adaptive strategy's decisions in force, its looks at sessions, the plan state file. */
  private readonly adaptive: AdaptiveKeeper;

  constructor(private readonly opts: LiveTailSourceOptions) {
    this.config = opts.config;
    this.adaptive = new AdaptiveKeeper({ logger: opts.logger, planState: opts.planState, thresholds: opts.adaptive, now: () => this.clock() });
    this.refused = new RefusedGroups({
      logger: opts.logger,
      timers: () => this.timers(),
      clients: (region) => {
        const { pool } = this.pool(this.config);
        return { live: pool.get(region, 'live'), api: pool.get(region, 'api') };
      },
      probeTimeoutMs: () => this.config.sessions.stallAfterMs,
      slowRetryMs: () => this.settings().slowRetryMs,
      reapply: () => this.reapply(),
      stopped: () => this.stopped,
    });
  }

  private clock(): number {
    return this.timers().now();
  }

  /** What the running sessions observed, by session id. */
  private observed(): Map<string, ObservedStats> {
    return new Map([...this.sessions.values()].map((s) => [s.id, s.stats()]));
  }

  /** After every update: the adaptive strategy looks again when a session may need a split or its parts a merge. */
  private onUpdate(session: SupervisedSession): void {
    if (this.stopped) return;
    if (this.adaptive.saveDue()) this.saveState();
    if (this.config.sessions.strategy !== 'adaptive' || !this.lastApplied || !this.lastPlanning) return;
    const part = this.lastPlan?.sessions.some((s) => s.id === session.id && s.splitOf?.length) ?? false;
    if (!this.adaptive.shouldLook(session.id, session.stats(), part)) return;
    const { ruleSet, config } = this.lastApplied;
    const d = this.adaptive.decide({ ruleSet, config, resolveArn: this.lastPlanning.resolver, exclude: this.lastPlanning.exclude, observed: this.observed() });
    if (this.takeDecision(d) && d.changes.some((c) => c.kind === 'split' || c.kind === 'merge')) void this.reapply().catch(() => undefined);
  }

  /** Keeps an adaptive decision (logging its changes); saves the plan state when it changed something. */
  private takeDecision(d: AdaptiveDecision): boolean {
    const changed = this.adaptive.take(d);
    if (changed) this.saveState();
    return changed;
  }

  /** Writes the decisions and the running sessions' observed rates (`tailwatch plan` shows them). */
  private saveState(): void {
    if (!this.opts.planState) return;
    const specs = new Map((this.lastPlan?.sessions ?? []).map((s) => [s.id, s]));
    const sessions = [...this.sessions.values()].map((s) => observedSession({ id: s.id, region: s.spec.region, rules: specs.get(s.id)?.rules ?? s.status().rules }, s.stats()));
    this.adaptive.save(this.config.sessions.strategy, sessions);
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
    this.refused.planning();
    const exclude: GroupExclusion = (region, arn) => this.refused.exclusion(region, arn);
    this.lastPlanning = { resolver: resolved, exclude };
    this.adaptive.newPlan();
    // Adaptive: the decisions kept, and new ones from what the running sessions observed.
    const decision = this.adaptive.decide({ ruleSet, config, resolveArn: resolver, exclude, observed: this.observed() });
    const plan = decision.plan;
    this.takeDecision(decision);
    // Groups no rule names any more are forgotten.
    this.refused.planned();
    this.lastApplied = { ruleSet, config };
    // A log group that does not exist yet (or could not be looked up) may later: plan again, slowly.
    this.timers().clearTimeout(this.replanTimer);
    this.unresolvedNames = unresolved > 0;
    if (unresolved > 0) this.replanTimer = this.timers().setTimeout(() => void this.apply(ruleSet, config).catch(() => undefined), this.settings().slowRetryMs, { unref: true });
    const before = this.lastPlan ? [...this.lastPlan.sessions, ...this.lastPlan.polls].map((s) => s.id).join() : '';
    this.lastPlan = plan;
    if ([...plan.sessions, ...plan.polls].map((s) => s.id).join() !== before) logPlan(this.opts.logger, plan, config);
    this.unplaced = plan.unplaced;
    this.partlyServed = plan.partlyServed;
    for (const u of plan.unplaced) this.opts.logger.error({ rule: u.rule, reason: u.reason }, 'rule has no Live Tail session');
    const wanted = new Map(plan.sessions.map((s) => [`${awsKey}|${s.id}`, s]));
    for (const [k, spec] of await this.keepOrStop(this.sessions, wanted)) {
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
        thresholds: this.adaptive.thresholds,
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
    this.adaptive.keepLooksOf(new Set(plan.sessions.map((s) => s.id)));
    this.saveState();
  }

  /**
   * Sessions or polls against the wanted ones: those no longer wanted stop; a kept one serves its
   * new rules — unless a rule with a clock of its own joins it from elsewhere, which needs its
   * events since that clock: it stops, to start again (a new generation) backfilling from there.
   * New rules start live. Returns the wanted ones to start.
   */
  private async keepOrStop<S extends { rules: readonly string[] }>(running: Map<string, RunningPart>, wanted: ReadonlyMap<string, S>): Promise<[string, S][]> {
    const gone = [...running].filter(([k]) => !wanted.has(k));
    for (const [k] of gone) running.delete(k);
    await Promise.all(gone.map(([, p]) => p.stop()));
    const start: [string, S][] = [];
    for (const [k, spec] of wanted) {
      const existing = running.get(k);
      if (existing) {
        const served = new Set(existing.status().rules);
        const behind = spec.rules.some((r) => !served.has(r) && this.opts.resumeFrom?.([r]) !== undefined);
        if (!behind) {
          existing.setRules(spec.rules);
          continue;
        }
        running.delete(k);
        await existing.stop();
      }
      start.push([k, spec]);
    }
    return start;
  }

  /** The injected clock and timers. Polls' timers are referenced, so a process that only polls (`tail` of a polled rule) stays up. */
  private timers(): Timers {
    return this.opts.timers ?? realTimers;
  }

  /** Polls of the plan: unchanged ones keep running (new rule ids), the others stop or start. */
  private async applyPolls(plan: Plan, awsKey: string, pool: ClientPool, config: Config): Promise<void> {
    const wanted = new Map(plan.polls.map((p) => [`${awsKey}|${p.id}`, p]));
    for (const [k, spec] of await this.keepOrStop(this.polls, wanted)) {
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
  /**
   * Retries what waits for the slow retry now (the daemon calls it on SIGHUP: the user may have
   * created the group or fixed the policy): sessions refused for a missing or denied group start
   * again, groups left out are probed again, names not found are looked up again.
   */
  retryUnhealthy(): void {
    if (this.stopped) return;
    for (const s of this.sessions.values()) if (s.status().unhealthy) s.retryNow();
    for (const p of this.polls.values()) if (p.status().unhealthy) p.retryNow();
    this.refused.retryNow();
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
          `role ${info.roleRefused} could not be assumed in ${session.spec.region}: its rules wait, ${this.refused.retriedText()}`,
        );
      }
    } else if (isRefusal(info.reason) && groups.length > 1) {
      const probed = { id: session.id, region: session.spec.region, groups, rules: () => session.status().rules };
      void this.refused.probeSession(key, probed, info.reason, () => this.sessions.get(key) === session);
    }
    else if (isRefusal(info.reason)) {
      // A session of one group is its own probe: say which group, where, and in which account.
      const arn = groups[0]!;
      this.opts.logger.warn(
        { region: session.spec.region, logGroup: logGroupNameOf(arn), account: parseLogGroupArn(arn)?.account, reason: info.reason, error: info.error, session: session.id, rules: info.rules, sessionRefused: true },
        `${groupRefusalText(arn, session.spec.region, info.reason)}: its rules wait, ${this.refused.retriedText()}`,
      );
    }
  }

  /** Plans the last rule set again (a group went bad or came back). */
  private reapply(): Promise<void> {
    const run = this.chain.then(() => (this.lastApplied && !this.stopped ? this.doApply(this.lastApplied.ruleSet, this.lastApplied.config) : undefined));
    this.chain = run.catch(() => undefined);
    return run;
  }

  sourceIds(): string[] {
    return [...[...this.sessions.values()].map((s) => s.sourceId), ...[...this.polls.values()].map((p) => p.sourceId)];
  }

  health(): SourceHealth {
    return sourceHealth({
      sessions: [...this.sessions.values()],
      polls: [...this.polls.values()],
      unplaced: this.unplaced,
      partlyServed: this.partlyServed,
      running: this.planned && !this.stopped,
    });
  }

  stop(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.stopped) return;
      this.stopped = true;
      this.timers().clearTimeout(this.replanTimer);
      this.refused.stop();
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
