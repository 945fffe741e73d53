/**
 * `tailwatch run`'s lifecycle: config → rules → sessions → engine → outbox,
 * one process. The engine is a LiveEngine: each rule decides its sessions'
 * events in order up to their watermark (live = replay). Reload keeps the
 * running rule set unless the new one is entirely valid; shutdown closes
 * sessions, flushes the outbox within a deadline and persists engine state
 * (each rule's windows, episodes and clock: a restart backfills from there).
 * Alerts the outbox cannot store (a full disk) are held in memory and
 * offered again with backoff; meanwhile the engine state is not saved, so
 * it never runs ahead of the outbox (a restart decides those alerts again).
 * Time and the stages enter as parameters so tests drive it with real parts.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadAll, type LoadOptions } from '../config/load.js';
import type { Config, RuleSet } from '../model/config.js';
import { Engine, EngineCounters, LiveEngine, MAX_STATE_BYTES, serializeState, type EngineState, type LiveEngineState } from '../engine/index.js';
import type { LogEvent, SourceBatch } from '../model/event.js';
import type { RoutedAlert } from '../model/alert.js';
import { storeErrorText } from '../notify/index.js';
import { formatProblem, UserError } from '../problems.js';
import { HeldAlerts, isStorageError, type HeldAlert } from './held-alerts.js';
import { Heartbeat } from './heartbeat.js';
import { createMetrics, type DaemonMetrics } from './metrics.js';
import type { AlertSink, EventSource, EventsHandler } from '../model/ports.js';
import type { ServiceNotifier } from './sd-notify.js';
import { StatusServer } from './server.js';
import { StateFile } from './state-file.js';

export interface StageContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  /** Where a new session serving these rules starts (their clocks): it backfills from there. */
  readonly resumeFrom: (rules: readonly string[]) => number | undefined;
  /** Whether a rule of the running set (reloads change it) sends resolves: its firings stay open until one. */
  readonly ruleResolves?: ((ruleId: string) => boolean) | undefined;
}

export interface DaemonOptions {
  readonly load: Omit<LoadOptions, 'now' | 'rulePaths'>;
  readonly logger: Logger;
  readonly createSource: (onEvents: EventsHandler, ctx: StageContext) => EventSource;
  readonly createSink: (ctx: StageContext) => AlertSink;
  readonly notifier?: ServiceNotifier | undefined;
  readonly now?: (() => number) | undefined;
  /** How often state is saved and readiness checked. Default 1 s. */
  readonly tickMs?: number | undefined;
  /** Outbox flush deadline on shutdown. Default 5 s. */
  readonly shutdownDeadlineMs?: number | undefined;
  /** Debounce for rule file changes. Default 300 ms. */
  readonly watchDebounceMs?: number | undefined;
  /** Size bound of the state file (bytes of JSON). Default MAX_STATE_BYTES (64 MiB). */
  readonly stateMaxBytes?: number | undefined;
  /** Most alerts held in memory while the outbox cannot write. Default 10,000. */
  readonly maxHeldAlerts?: number | undefined;
}

const STATE_FILE = 'engine-state.json';
const PERSIST_EVERY_MS = 5_000;
/** A failing rule is logged at most this often (its failures are counted in tailwatch_rule_errors_total). */
const RULE_ERROR_LOG_EVERY_MS = 60_000;
const MAX_HELD_ALERTS = 10_000;
/** Retries of held alerts: after 1 s, doubling, at most every 10 s (each is one failed transaction). */
const HELD_BACKOFF = { initialMs: 1_000, maxMs: 10_000 };

export class Daemon {
  private config!: Config;
  private ruleSet!: RuleSet;
  private engine!: LiveEngine;
  private readonly counters = new EngineCounters();
  private metrics!: DaemonMetrics;
  private source!: EventSource;
  private sink!: AlertSink;
  private stateFile!: StateFile<LiveEngineState | EngineState>;
  private server: StatusServer | undefined;
  private heartbeat: Heartbeat | undefined;
  private watchers: FSWatcher[] = [];
  private timers: NodeJS.Timeout[] = [];
  private watchTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  /**
   * Some rule had no clock in the last state saved: a crash now would lose where its sessions
   * must backfill from, so the state is saved at every chance (at most every 200 ms) until all have one.
   */
  private clocksMissing = true;
  /** Alerts handed to the outbox since start (for the `state saved` log line). */
  private alertsDecided = 0;
  private lastPersist = 0;
  private reloading: Promise<boolean> | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private readyAnnounced = false;
  private readonly now: () => number;
  private readonly log: Logger;
  /** When the state file last had to leave samples out (logged once a minute). */
  private stateTrimLoggedAt = Number.NEGATIVE_INFINITY;
  /** Per rule: when its last failure was logged, and how many since were not. */
  private readonly ruleErrorsLogged = new Map<string, { at: number; unlogged: number }>();
  /** Alerts decided while the outbox could not store them, oldest first. */
  private readonly held: HeldAlerts;

  constructor(private readonly opts: DaemonOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.held = new HeldAlerts({ max: opts.maxHeldAlerts ?? MAX_HELD_ALERTS, backoff: HELD_BACKOFF });
  }

  /** Loads and starts everything. Throws UserError when the config or rules are invalid. */
  async start(): Promise<void> {
    if (this.started) return;
    const loaded = await loadAll({ ...this.opts.load, now: this.now() });
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    for (const w of loaded.problems.filter((p) => p.severity === 'warning')) this.log.warn({ problem: formatProblem(w) }, 'configuration warning');
    if (errors.length) throw new UserError(errors);
    this.started = true;
    this.config = loaded.config;
    this.ruleSet = loaded.ruleSet;

    this.metrics = createMetrics({
      engine: () => this.counters,
      live: () => this.engine.live,
      watermarks: () => this.engine?.watermarks() ?? new Map(),
      now: this.now,
      rulesLoaded: () => this.ruleSet.rules.length,
      unhealthyRules: () => this.source?.health().unhealthyRules.length ?? 0,
      outboxDepth: () => this.sink?.depth() ?? 0,
      heldAlerts: () => this.held.size,
    });
    this.stateFile = new StateFile<LiveEngineState | EngineState>(this.config.state.dir, STATE_FILE);
    const state = this.stateFile.read((err) => this.log.error({ error: err.message }, 'engine state unreadable; starting with empty windows'));
    this.engine = this.restoreEngine(state);
    this.log.info({ rules: this.ruleSet.rules.length, files: this.ruleSet.files.length, restoredState: state !== undefined }, 'rules loaded');

    const ctx: StageContext = {
      config: this.config,
      logger: this.log,
      metrics: this.metrics,
      resumeFrom: (rules) => this.engine.resumePoint(rules),
      ruleResolves: (ruleId) => this.ruleSet.rules.some((r) => r.id === ruleId && r.enabled && r.resolve),
    };
    this.sink = this.opts.createSink(ctx);
    this.sink.start();
    this.source = this.opts.createSource((batch) => this.onEvents(batch), ctx);

    if (this.config.server) {
      this.server = new StatusServer({ listen: this.config.server.listen, registry: this.metrics.registry, readiness: () => this.readiness() });
      const address = await this.server.start();
      this.log.info({ address }, 'status server listening');
    }
    await this.source.apply(this.ruleSet, this.config);
    this.deliver(this.engine.retainSources(this.source.sourceIds()));

    const tick = setInterval(() => this.tick(), this.opts.tickMs ?? 1_000);
    tick.unref();
    this.timers.push(tick);
    if (this.config.heartbeat) {
      this.heartbeat = new Heartbeat({ cron: this.config.heartbeat.cron, url: this.config.heartbeat.url, healthy: () => this.readiness().ready, logger: this.log.child({ component: 'heartbeat' }) });
      this.heartbeat.start();
    }
    if (this.config.rules.watch) this.watchRules();
    this.tick();
  }

  /** An engine with the saved state; a state it cannot take (another version, corrupt) is logged and dropped. */
  private restoreEngine(state: LiveEngineState | EngineState | undefined): LiveEngine {
    if (state) {
      try {
        return new LiveEngine({ rules: this.ruleSet, silences: this.config.silences, state, counters: this.counters, onRuleError: this.onRuleError });
      } catch (err) {
        this.log.error({ error: (err as Error).message }, 'saved engine state not usable; starting with empty windows');
      }
    }
    return new LiveEngine({ rules: this.ruleSet, silences: this.config.silences, counters: this.counters, onRuleError: this.onRuleError });
  }

  /** A rule failed on an event or timer (the other rules got it): counted by the engine, logged once a minute per rule. */
  private readonly onRuleError = (ruleId: string, err: unknown): void => {
    const now = this.now();
    const last = this.ruleErrorsLogged.get(ruleId);
    if (last !== undefined && now - last.at < RULE_ERROR_LOG_EVERY_MS) {
      last.unlogged++;
      return;
    }
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.log.error({ rule: ruleId, error, ...(last?.unlogged ? { notLogged: last.unlogged } : {}) }, 'rule failed; it skipped this event or timer, the other rules got it');
    this.ruleErrorsLogged.set(ruleId, { at: now, unlogged: 0 });
  };

  /** Validates the rule files again; applies them only if all are valid. Resolves true when applied. */
  reload(trigger: 'signal' | 'watch'): Promise<boolean> {
    if (!this.started || this.stopping) return Promise.resolve(false);
    // One reload at a time; a trigger during a reload runs once after it.
    const run = (this.reloading ?? Promise.resolve(true))
      .then(() => this.doReload(trigger))
      .finally(() => {
        // Whatever started the reload (SIGHUP after a symlink swap, a watch event) and whatever came
        // of it, watch what the rule paths point at now.
        if (this.stopping) return;
        if (this.config.rules.watch) this.watchRules();
        else this.watchers.splice(0).forEach((w) => w.close());
      });
    this.reloading = run.finally(() => {
      if (this.reloading === run) this.reloading = undefined;
    });
    return run;
  }

  private async doReload(trigger: 'signal' | 'watch'): Promise<boolean> {
    void this.opts.notifier?.reloading();
    // SIGHUP is also how a user says "I fixed it" (created the group, attached the policy): rules
    // waiting for the slow retry of a missing or denied log group try again now, whatever the rules.
    if (trigger === 'signal') this.source.retryUnhealthy?.();
    let loaded;
    try {
      loaded = await loadAll({ ...this.opts.load, now: this.now() });
    } catch (err) {
      this.log.error({ trigger, error: (err as Error).message }, 'reload failed; the running rules stay');
      this.reloadNotApplied('failed');
      return false;
    }
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      for (const e of errors) this.log.error({ problem: formatProblem(e), rule: e.ruleId }, 'invalid rule set');
      this.log.error({ trigger, errors: errors.length }, 'reload rejected; the running rules stay');
      this.reloadNotApplied('rejected');
      return false;
    }
    const needsRestart = restartOnlyChanges(this.config, loaded.config);
    if (needsRestart.length) this.log.warn({ keys: needsRestart }, 'config changes that need a restart were not applied');
    try {
      // Every rule compiles before the running engine changes (reload is all or nothing).
      new Engine({ rules: loaded.ruleSet });
    } catch (err) {
      this.log.error({ trigger, error: (err as Error).message }, 'reload rejected; the running rules stay');
      this.reloadNotApplied('rejected');
      return false;
    }
    // Resolves of removed rules (and of rules whose grouping changed) go out now.
    this.deliver(this.engine.reload(loaded.ruleSet, loaded.config.silences));
    this.ruleSet = loaded.ruleSet;
    this.config = { ...this.config, rules: loaded.config.rules, defaults: loaded.config.defaults, silences: loaded.config.silences };
    await this.source.apply(this.ruleSet, this.config);
    this.deliver(this.engine.retainSources(this.source.sourceIds()));
    this.metrics.reloads.inc({ result: 'applied' });
    this.log.info({ trigger, rules: this.ruleSet.rules.length }, 'rules reloaded');
    this.persist(true);
    void this.opts.notifier?.ready(this.statusLine());
    return true;
  }

  /** Counts a reload that left the running rules, and tells systemd it is ready again (RELOADING=1 was sent). */
  private reloadNotApplied(result: 'failed' | 'rejected'): void {
    this.metrics.reloads.inc({ result });
    // Every reload ends with READY=1, or systemd shows the service "reloading" until the next one.
    void this.opts.notifier?.ready(`reload ${result}, the running rules stay; ${this.statusLine()}`);
  }

  /** Stops sessions, flushes the outbox within the deadline, persists state. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (!this.started) return;
    void this.opts.notifier?.stopping();
    const steps: [string, () => Promise<void> | void][] = [
      ['watchers', () => this.watchers.forEach((w) => w.close())],
      ['timers', () => {
        this.timers.forEach((t) => clearInterval(t));
        if (this.watchTimer) clearTimeout(this.watchTimer);
      }],
      ['heartbeat', () => this.heartbeat?.stop()],
      ['sessions', () => this.source?.stop()],
      ['held alerts', () => this.flushHeld(true)],
      ['state', () => this.engine && this.persist(true)],
      ['outbox', () => this.sink?.close(this.opts.shutdownDeadlineMs ?? 5_000)],
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

  /** The configured `log.level` (the logger starts before the config is read). */
  get logLevel(): string {
    return this.config.log.level;
  }

  readiness(): { ready: boolean; details: string[] } {
    if (!this.started || this.stopping) return { ready: false, details: [this.stopping ? 'stopping' : 'starting'] };
    const h = this.source.health();
    const details = [`${this.ruleSet.rules.length} rule(s) loaded`, ...h.details];
    if (h.unhealthyRules.length) details.push(`unhealthy rules: ${h.unhealthyRules.join(', ')}`);
    const outbox = this.outboxProblem();
    if (outbox) details.push(outbox);
    // A deploy that lost its rules watches nothing: not ready, unless the config says that is fine.
    const empty = this.ruleSet.rules.length === 0 && !this.config.rules.allowEmpty;
    if (empty) details.push('no rules to run (set rules: { allowEmpty: true } if an empty rule set is intended)');
    return { ready: h.ready && h.unhealthyRules.length === 0 && !outbox && !empty, details };
  }

  /** Why the outbox is not taking alerts, or undefined. Names the kind of failure and its code, never a path. */
  private outboxProblem(): string | undefined {
    if (this.held.size > 0) {
      const why = this.held.lastError !== undefined ? storeErrorText(this.held.lastError) : (this.sink.writeProblem?.() ?? 'retrying');
      return `outbox cannot write: ${why}; ${this.held.size} alert(s) held in memory, retrying`;
    }
    const problem = this.sink?.writeProblem?.();
    return problem ? `outbox cannot write: ${problem}` : undefined;
  }

  private onEvents(batch: SourceBatch): void {
    if (this.stopping) return;
    const receivedAt = this.now();
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
    this.dirty = true;
    this.deliver(alerts);
    if (this.clocksMissing) this.persist(false, 200);
  }

  private tick(): void {
    if (this.stopping) return;
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
    this.dirty = true;
    const t = this.now();
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
    const t = this.now();
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
    if (!force && (!this.dirty || this.now() - this.lastPersist < everyMs)) return;
    try {
      const maxBytes = this.opts.stateMaxBytes ?? MAX_STATE_BYTES;
      const exported = this.engine.exportState();
      const state = serializeState(exported, maxBytes);
      this.stateFile.writeParts(state.parts);
      this.clocksMissing = exported.rules.some((r) => r.clock === null || r.clock === undefined);
      const { samples, lastEvents } = state.trimmed;
      if ((samples > 0 || lastEvents > 0 || state.overBound) && this.now() - this.stateTrimLoggedAt >= 60_000) {
        this.stateTrimLoggedAt = this.now();
        this.log.warn({ maxBytes, bytes: state.bytes, groupsWithoutSamples: samples, groupsWithoutLastMessage: lastEvents, overBound: state.overBound }, 'engine state over its size bound: the least recently seen groups were saved without their samples (episodes, throttles and windows kept)');
      }
      this.dirty = false;
      this.lastPersist = this.now();
      this.log.debug({ alerts: this.alertsDecided }, 'state saved');
    } catch (err) {
      this.log.error({ error: (err as Error).message }, 'persisting engine state failed');
    }
  }

  /**
   * Watches what a GitOps deploy changes: files inside the rule folders, and
   * each rule path and the config file *by name in its parent folder* — a
   * deploy that swaps a symlink (`rules -> releases/42`) or an editor that
   * writes a new file and renames it over the old one replaces the inode a
   * watch on the path itself would follow. After every reload (signal or
   * watch) the watches are set up again, so a swapped symlink's new target
   * and changed `rules.paths` are watched.
   */
  private watchRules(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const trigger = (): void => {
      if (this.watchTimer) clearTimeout(this.watchTimer);
      this.watchTimer = setTimeout(() => void this.reload('watch'), this.opts.watchDebounceMs ?? 300);
    };
    const add = (target: string, recursive: boolean, accept: (name: string) => boolean): void => {
      try {
        const w = watch(target, { recursive, persistent: false }, (_event, name) => {
          if (name === null || accept(String(name))) trigger();
        });
        w.on('error', (err) => this.log.warn({ path: path.basename(target), error: err.message }, 'rule watcher failed'));
        this.watchers.push(w);
      } catch (err) {
        this.log.warn({ path: target, error: (err as Error).message }, 'cannot watch rules path');
      }
    };
    const targets = [...this.config.rules.paths, this.config.file].filter(Boolean);
    const parents = new Map<string, Set<string>>();
    for (const target of targets) {
      const dir = path.dirname(target);
      if (!parents.has(dir)) parents.set(dir, new Set());
      parents.get(dir)!.add(path.basename(target));
      let isDir = false;
      try {
        isDir = statSync(target).isDirectory();
      } catch {
        // Not there yet: the parent's watch sees it appear.
      }
      if (isDir) add(target, true, (name) => /\.ya?ml$/.test(name));
    }
    for (const [dir, names] of parents) add(dir, false, (name) => names.has(name));
  }

  private statusLine(): string {
    const h = this.source.health();
    return `${this.ruleSet.rules.length} rules; ${h.details.join('; ')}`;
  }
}

/** Config sections the running daemon does not re-apply (their stages are built once). */
function restartOnlyChanges(running: Config, next: Config): string[] {
  const keys = ['aws', 'destinations', 'delivery', 'sessions', 'state', 'server', 'heartbeat', 'log'] as const;
  return keys.filter((k) => JSON.stringify(running[k]) !== JSON.stringify(next[k]));
}
