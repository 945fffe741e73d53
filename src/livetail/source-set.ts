/**
 * The daemon's EventSource over every source (account and region) of the config: one
 * LiveTailSource per source in this daemon's shard, each planning its own sessions and
 * polls within its own quota, FilterLogEvents budget and cost, with its own clients
 * (its region, credentials and endpoint). A rule reaches the source it names
 * (`source.from`); a source that fails (its region down, its credentials refused) leaves
 * the others running, and `/readyz` names it.
 *
 * With `aws:` alone there is one source, `default`, and this is that LiveTailSource.
 */
import type { Logger } from 'pino';
import type { Config, RuleSet } from '../model/config.js';
import { DEFAULT_SOURCE } from '../model/config.js';
import { configForSource, rulesForSource, shardPart, sourcesOf } from '../config/sources.js';
import type { EventSource, SourceHealth } from '../model/ports.js';
import { PLAN_STATE_FILE, type PlanStateFile } from './adaptive.js';
import type { PollMetrics } from './poll.js';
import type { SourceMetrics } from './session.js';
import { LiveTailSource, type LiveTailSourceOptions } from './source.js';
import type { Plan } from './spec.js';

export interface SourceSetOptions extends LiveTailSourceOptions {
  /** Metrics of one source's sessions and polls (the daemon labels them with `source`); default `metrics`. */
  readonly metricsFor?: ((source: string) => SourceMetrics & PollMetrics) | undefined;
  /** Where a source other than `default` keeps its plan state (`default` uses `planState`); without it, nothing is kept. */
  readonly planStateFor?: ((source: string) => { load(): unknown; save(state: PlanStateFile): void }) | undefined;
}

/** The plan state file of a source in state.dir: `plan-state.json` for `default`, `plan-state.NAME.json` for the others. */
export function planStateFileOf(source: string): string {
  return source === DEFAULT_SOURCE ? PLAN_STATE_FILE : PLAN_STATE_FILE.replace(/\.json$/, `.${source}.json`);
}

export class SourceSet implements EventSource {
  private readonly children = new Map<string, LiveTailSource>();
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Names of the sources of the last apply with their region, for health lines. */
  private regions = new Map<string, string | undefined>();

  constructor(private readonly opts: SourceSetOptions) {}

  apply(ruleSet: RuleSet, config: Config): Promise<void> {
    const run = this.chain.then(() => this.doApply(ruleSet, config));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private child(name: string, config: Config): LiveTailSource {
    let c = this.children.get(name);
    if (!c) {
      const logger: Logger = this.opts.logger.child({ source: name });
      c = new LiveTailSource({
        ...this.opts,
        config,
        logger,
        metrics: this.opts.metricsFor?.(name) ?? this.opts.metrics,
        planState: name === DEFAULT_SOURCE ? this.opts.planState : this.opts.planStateFor?.(name),
      });
      this.children.set(name, c);
    }
    return c;
  }

  private async doApply(ruleSet: RuleSet, config: Config): Promise<void> {
    if (this.stopped) return;
    const part = shardPart(ruleSet, config);
    const wanted = new Set(part.names);
    const all = new Map(sourcesOf(config));
    this.regions = new Map(part.names.map((n) => [n, all.get(n)?.region]));
    const gone = [...this.children].filter(([n]) => !wanted.has(n));
    for (const [n] of gone) this.children.delete(n);
    await Promise.all(gone.map(([, c]) => c.stop()));
    // Sources apply side by side: one region's slow DescribeLogGroups does not hold up the others.
    await Promise.all(part.names.map((n) => this.child(n, configForSource(config, n)).apply(rulesForSource(part.ruleSet, n), configForSource(config, n))));
  }

  /** The plans of every source as one (sessions and polls keep their source's own ids). */
  plan(): Plan | undefined {
    const plans = [...this.children.values()].map((c) => c.plan()).filter((p): p is Plan => p !== undefined);
    if (plans.length === 0) return undefined;
    if (plans.length === 1) return plans[0];
    return {
      sessions: plans.flatMap((p) => p.sessions),
      polls: plans.flatMap((p) => p.polls),
      unplaced: plans.flatMap((p) => p.unplaced),
      partlyServed: plans.flatMap((p) => p.partlyServed),
      monthlyCost: Math.round(plans.reduce((s, p) => s + p.monthlyCost, 0) * 10_000) / 10_000,
    };
  }

  sourceIds(): string[] {
    return [...this.children.values()].flatMap((c) => c.sourceIds());
  }

  sourceNameOf(id: string): string | undefined {
    for (const [name, c] of this.children) if (c.sourceIds().includes(id)) return name;
    return undefined;
  }

  retryUnhealthy(): void {
    for (const c of this.children.values()) c.retryUnhealthy();
  }

  /** Every source's health; with several sources each line names its source, and a source not ready says so first. */
  health(): SourceHealth {
    const children = [...this.children];
    if (children.length === 1 && children[0]![0] === DEFAULT_SOURCE) return children[0]![1].health();
    const details: string[] = [];
    const unhealthy = new Set<string>();
    let ready = !this.stopped;
    for (const [name, c] of children) {
      const h = c.health();
      const region = this.regions.get(name);
      const label = `source ${name}${region ? ` (${region})` : ''}`;
      if (!h.ready) {
        ready = false;
        details.push(`${label}: not ready`);
      }
      for (const d of h.details) details.push(`${label}: ${d}`);
      for (const r of h.unhealthyRules) unhealthy.add(r);
    }
    return { ready, details, unhealthyRules: [...unhealthy].sort() };
  }

  stop(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.stopped) return;
      this.stopped = true;
      const all = [...this.children.values()];
      this.children.clear();
      await Promise.all(all.map((c) => c.stop()));
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** The daemon's and `tail`'s event source: every source of the config (in this daemon's shard). */
export function createLiveTailSource(opts: SourceSetOptions): EventSource & { plan(): Plan | undefined } {
  return new SourceSet(opts);
}
