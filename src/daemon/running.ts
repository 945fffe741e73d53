/**
 * A started daemon: its stages (engine, source, sink, metrics, the saved
 * state) all exist for as long as it does, so none is optional. It owns the
 * event path (`onEvents` → engine → `deliver`), the tick, reload and stop.
 * `Daemon.start()` (daemon.ts) builds one from a valid config and rule set.
 */
import type { Logger } from 'pino';
import { shardPart, sourceOfRule, sourcesInShard } from '../config/sources.js';
import { EngineCounters, LiveEngine } from '../engine/index.js';
import type { RoutedAlert } from '../model/alert.js';
import { DEFAULT_SOURCE, type Config, type RuleSet } from '../model/config.js';
import type { SourceBatch } from '../model/event.js';
import type { AlertSink, EventSource } from '../model/ports.js';
import { storeErrorText } from '../notify/index.js';
import type { TimerHandle, Timers } from '../time.js';
import type { DaemonOptions, StageContext } from './daemon.js';
import { EngineStateSaver, PERSIST_EVERY_MS } from './engine-state.js';
import { HeldAlerts, isStorageError, type HeldAlert } from './held-alerts.js';
import { Heartbeat } from './heartbeat.js';
import { createMetrics, type DaemonMetrics } from './metrics.js';
import { readinessOf, statusLine, type Readiness } from './readiness.js';
import { prepareReload, reloadedConfig, type ReloadTrigger } from './reload.js';
import { RuleWatches } from './rule-watch.js';
import { StatusServer } from './server.js';

/** What `Daemon.start()` has when it builds the running daemon. */
export interface RunningParts {
  readonly opts: DaemonOptions;
  readonly timers: Timers;
  readonly log: Logger;
  readonly config: Config;
  readonly ruleSet: RuleSet;
  readonly counters: EngineCounters;
  readonly engine: LiveEngine;
  readonly saver: EngineStateSaver;
  readonly held: HeldAlerts;
}

export class RunningDaemon {
  private config: Config;
  private ruleSet: RuleSet;
  readonly engine: LiveEngine;
  readonly metrics: DaemonMetrics;
  readonly source: EventSource;
  readonly sink: AlertSink;
  private readonly server: StatusServer | undefined;
  private readonly heartbeat: Heartbeat | undefined;
  private readonly watches: RuleWatches;
  private readonly saver: EngineStateSaver;
  private readonly held: HeldAlerts;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly opts: DaemonOptions;
  private tickTimer: TimerHandle | undefined;
  /** Alerts handed to the outbox since start (for the `state saved` log line). */
  private alertsDecided = 0;
  private reloading: Promise<boolean> | undefined;
  private stopping: Promise<void> | undefined;
  private readyAnnounced = false;

  /** Creates the stages (nothing runs yet: `begin` starts them). */
  constructor(p: RunningParts) {
    this.opts = p.opts;
    this.timers = p.timers;
    this.log = p.log;
    this.config = p.config;
    this.ruleSet = p.ruleSet;
    this.engine = p.engine;
    this.saver = p.saver;
    this.held = p.held;
    this.metrics = createMetrics({
      engine: () => p.counters,
      live: () => this.engine.live,
      watermarks: () => this.engine.watermarks(),
      sourceOf: (id) => this.source.sourceNameOf?.(id),
      now: () => this.timers.now(),
      rulesLoaded: () => this.ruleSet.rules.length,
      unhealthyRules: () => this.unhealthyBySource(),
      outboxDepth: () => this.sink.depth(),
      heldAlerts: () => this.held.size,
    });
    const ctx: StageContext = {
      config: this.config,
      logger: this.log,
      metrics: this.metrics,
      timers: this.timers,
      resumeFrom: (rules) => this.engine.resumePoint(rules),
      ruleResolves: (ruleId) => this.ruleSet.rules.some((r) => r.id === ruleId && r.enabled && r.resolve),
    };
    this.sink = this.opts.createSink(ctx);
    this.source = this.opts.createSource((batch) => this.onEvents(batch), ctx);
    this.watches = new RuleWatches({ timers: this.timers, debounceMs: this.opts.watchDebounceMs ?? 300, log: this.log, onChange: () => void this.reload('watch') });
    if (this.config.server) this.server = new StatusServer({ listen: this.config.server.listen, registry: this.metrics.registry, readiness: () => this.readiness() });
    if (this.config.heartbeat) {
      this.heartbeat = new Heartbeat({ cron: this.config.heartbeat.cron, url: this.config.heartbeat.url, healthy: () => this.readiness().ready, logger: this.log.child({ component: 'heartbeat' }) });
    }
  }

  /** Starts the outbox, the status server and the sessions, then the tick, heartbeat and rule watches. */
  async begin(): Promise<void> {
    this.sink.start();
    if (this.server) {
      const address = await this.server.start();
      this.log.info({ address }, 'status server listening');
    }
    await this.source.apply(this.ruleSet, this.config);
    this.deliver(this.engine.retainSources(this.source.sourceIds()));
    this.heartbeat?.start();
    if (this.config.rules.watch) this.watches.watch(this.watchTargets());
    this.tick();
  }

  /** The configured `log.level` (the logger starts before the config is read). */
  get logLevel(): string {
    return this.config.log.level;
  }

  readiness(): Readiness {
    if (this.stopping) return { ready: false, details: ['stopping'] };
    return readinessOf({ config: this.config, ruleSet: this.ruleSet, source: this.source, sink: this.sink, held: this.held });
  }

  /** Validates the rule files again; applies them only if all are valid. Resolves true when applied. */
  reload(trigger: ReloadTrigger): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    // One reload at a time; a trigger during a reload runs once after it.
    const run: Promise<boolean> = (this.reloading ?? Promise.resolve(true)).then(() => this.doReload(trigger)).catch((err: unknown) => this.reloadThrew(trigger, err));
    const settled = run.finally(() => {
      if (this.reloading === settled) this.reloading = undefined;
    });
    this.reloading = settled;
    return run;
  }

  /**
   * A reload that threw (the sessions could not be re-planned, a bug) is logged and counted, and
   * never rejects: its callers are a signal handler and a file watch, where a rejection would end
   * the process, and the next reload chains on this one.
   */
  private reloadThrew(trigger: ReloadTrigger, err: unknown): boolean {
    this.metrics.reloads.inc({ result: 'failed' });
    this.log.error({ trigger, err: err instanceof Error ? err.message : String(err) }, 'reload failed; the daemon keeps running');
    void this.opts.notifier?.ready(`reload failed, ${this.statusLine()}`);
    return false;
  }

  private async doReload(trigger: ReloadTrigger): Promise<boolean> {
    if (this.stopping) return false;
    void this.opts.notifier?.reloading();
    // Whatever started the reload (SIGHUP after a symlink swap, a watch event), watch what the rule
    // paths point at now, before the files are read: a change from here on starts another reload, and
    // one the old watches had not reported yet is in what this load reads. (Set up again after the
    // load, the watches would miss a change made while the load ran: a second quick save.)
    if (this.config.rules.watch) this.watches.watch(this.watchTargets());
    // SIGHUP is also how a user says "I fixed it" (created the group, attached the policy): rules
    // waiting for the slow retry of a missing or denied log group try again now, whatever the rules.
    if (trigger === 'signal') this.source.retryUnhealthy?.();
    const prepared = await prepareReload({ load: { ...this.opts.load, now: this.timers.now() }, running: this.config, trigger, log: this.log });
    if (!prepared.ok) {
      this.metrics.reloads.inc({ result: prepared.result });
      // Every reload ends with READY=1, or systemd shows the service "reloading" until the next one.
      void this.opts.notifier?.ready(`reload ${prepared.result}, the running rules stay; ${this.statusLine()}`);
      return false;
    }
    const { loaded } = prepared;
    // Resolves of removed rules (and of rules whose grouping changed) go out now.
    // With shard:, only the rules of this shard's sources (sources and shard need a restart).
    const ruleSet = shardPart(loaded.ruleSet, this.config).ruleSet;
    this.deliver(this.engine.reload(ruleSet, loaded.config.silences));
    this.ruleSet = ruleSet;
    const watched = JSON.stringify(this.config.rules.watch && this.watchTargets());
    this.config = reloadedConfig(this.config, loaded.config);
    // `rules.watch` or `rules.paths` changed: watch the new paths (or nothing).
    if (JSON.stringify(this.config.rules.watch && this.watchTargets()) !== watched) {
      if (this.config.rules.watch) this.watches.watch(this.watchTargets());
      else this.watches.close();
    }
    await this.source.apply(this.ruleSet, this.config);
    this.deliver(this.engine.retainSources(this.source.sourceIds()));
    this.metrics.reloads.inc({ result: 'applied' });
    this.log.info({ trigger, rules: this.ruleSet.rules.length }, 'rules reloaded');
    this.persist(true);
    void this.opts.notifier?.ready(this.statusLine());
    return true;
  }

  /** Stops sessions, flushes the outbox within the deadline, persists state. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    void this.opts.notifier?.stopping();
    const steps: [string, () => Promise<void> | void][] = [
      ['watchers', () => this.watches.close()],
      ['timers', () => this.timers.clearTimeout(this.tickTimer)],
      ['heartbeat', () => this.heartbeat?.stop()],
      ['sessions', () => this.source.stop()],
      ['held alerts', () => this.flushHeld(true)],
      ['state', () => this.persist(true)],
      ['outbox', () => this.sink.close(this.opts.shutdownDeadlineMs ?? 5_000)],
      ['server', () => this.server?.stop()],
    ];
    // Every cleanup runs even if one throws.
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.log.error({ step: name, error: (err as Error).message }, 'shutdown step failed');
      }
    }
    this.log.info('stopped');
  }

  private onEvents(batch: SourceBatch): void {
    if (this.stopping) return;
    const receivedAt = this.timers.now();
    let events = batch.events;
    for (const event of batch.events) {
      if (!Number.isFinite(event.timestamp) || typeof event.message !== 'string') {
        events = batch.events.filter((e) => Number.isFinite(e.timestamp) && typeof e.message === 'string');
        this.metrics.malformedEvents.inc(batch.events.length - events.length);
        break;
      }
    }
    for (const event of events) this.metrics.eventLag.observe(Math.max(0, receivedAt - event.timestamp) / 1000);
    if (batch.lost) this.log.warn({ session: batch.source, from: new Date(batch.lost.from).toISOString(), to: new Date(batch.lost.to).toISOString(), rules: batch.rules }, 'gap not backfilled: its rules skip it (no absence or resolve decided on it; firings over it say sampled)');
    // The alerts of one Live Tail update go to the outbox together (one transaction, one fsync).
    const alerts = this.engine.receive(events === batch.events ? batch : { ...batch, events });
    // Clocks moved: saved at the next persist (a restart resumes from the clocks saved).
    this.saver.changed();
    this.deliver(alerts);
    if (this.saver.clocksMissing) this.persist(false, 200);
  }

  private tick(): void {
    if (this.stopping) return;
    this.tickTimer = this.timers.setTimeout(() => this.tick(), this.opts.tickMs ?? 1_000, { unref: true });
    // The source may re-plan on its own (a log group left out or back, an adaptive split or merge):
    // sessions it stopped no longer hold their rules' clocks.
    this.deliver(this.engine.retainSources(this.source.sourceIds()));
    this.flushHeld(false);
    this.persist(false);
    if (!this.readyAnnounced && this.readiness().ready) {
      this.readyAnnounced = true;
      this.log.info({ status: this.statusLine() }, 'ready');
      void this.opts.notifier?.ready(this.statusLine());
    }
  }

  private deliver(alerts: readonly RoutedAlert[]): void {
    if (alerts.length === 0) return;
    for (const routed of alerts) {
      this.log.info({ rule: routed.alert.rule.id, kind: routed.alert.kind, alert: routed.alert.id, count: routed.alert.count, destinations: routed.destinations }, 'alert');
    }
    this.alertsDecided += alerts.length;
    this.saver.changed();
    const t = this.timers.now();
    if (this.held.size > 0) {
      // Behind the alerts already waiting: the outbox gets them in the order they were decided.
      this.dropHeld(this.held.hold(alerts, t));
      this.flushHeld(false);
    } else {
      try {
        this.sink.enqueueMany(alerts);
      } catch (err) {
        if (!isStorageError(err)) throw err;
        this.dropHeld(this.held.hold(alerts, t, err));
        this.log.error({ alerts: alerts.length, error: storeErrorText(err), retryInMs: this.held.retryAt - t }, 'outbox cannot write: alerts held in memory until it can');
        return;
      }
    }
    // Throttles just changed: persist soon (at most every second in a storm; the tick catches the
    // rest). A crash before that re-decides the same alerts with the same ids, which the outbox
    // knows: the save only shortens the backfill (a full state takes up to ~0.5 s to write).
    this.persist(false, 1_000);
  }

  /** Offers the held alerts to the outbox (when the backoff allows, or always with `force`). */
  private flushHeld(force: boolean): void {
    const t = this.timers.now();
    if (this.held.size === 0 || (!force && !this.held.due(t))) return;
    const n = this.held.size;
    const r = this.held.flush(t, (batch: readonly HeldAlert[]) => this.sink.enqueueMany(batch.map((h) => ({ ...h.routed, decidedAt: h.at }))));
    if ('error' in r) {
      if (force) this.log.error({ alerts: n, error: storeErrorText(r.error) }, 'outbox cannot write: held alerts are lost at this stop; the engine state was not saved either, so the next start decides them again');
      return;
    }
    for (const u of r.unstorable) {
      this.log.error({ alert: u.routed.alert.id, rule: u.routed.alert.rule.id }, 'alert cannot be stored (not serializable); dropped');
      for (const d of u.routed.destinations) this.metrics.deliveryDropped.inc({ destination: d, reason: 'unstorable' });
    }
    this.log.info({ alerts: r.stored }, 'outbox writes again: held alerts stored');
    this.persist(false, 100);
  }

  /** Alerts pushed out of memory by newer ones while the outbox cannot write: counted per destination, one log line. */
  private dropHeld(dropped: readonly HeldAlert[]): void {
    if (dropped.length === 0) return;
    for (const h of dropped) for (const d of h.routed.destinations) this.metrics.deliveryDropped.inc({ destination: d, reason: 'outbox-unwritable' });
    this.log.error({ dropped: dropped.length, held: this.held.size, oldest: dropped[0]!.routed.alert.id }, 'outbox cannot write and the memory bound is reached: oldest held alerts dropped');
  }

  private persist(force: boolean, everyMs = PERSIST_EVERY_MS): void {
    // The state would record decisions whose alerts are only in memory: a crash would lose them for good.
    // Not saving it means a restart decides them again from the last state saved with everything stored.
    if (this.held.size > 0) return;
    this.saver.save(this.engine, force, everyMs, this.alertsDecided);
  }

  private watchTargets(): string[] {
    return [...this.config.rules.paths, this.config.file];
  }

  /** The unhealthy rules counted by the source they watch through; every source of this daemon (its shard) has a count, 0 included. */
  private unhealthyBySource(): Map<string, number> {
    const counts = new Map(sourcesInShard(this.config).map((name) => [name, 0]));
    const sourceOf = new Map(this.ruleSet.rules.map((r) => [r.id, sourceOfRule(r)]));
    for (const id of this.source.health().unhealthyRules) {
      const name = sourceOf.get(id) ?? DEFAULT_SOURCE;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  private statusLine(): string {
    return statusLine({ ruleSet: this.ruleSet, source: this.source });
  }
}
