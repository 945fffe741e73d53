/**
 * `tailwatch run`'s composition root: config → rules → sessions → engine →
 * outbox, one process; nothing in src/ but the CLI imports this folder.
 * `Daemon.start()` loads and validates the config and rules, restores the
 * engine from its saved state and returns a `RunningDaemon` (running.ts)
 * whose stages all exist. The engine is a LiveEngine: each rule decides its
 * sessions' events in order up to their watermark (live = replay). Time and
 * the stages enter as parameters (`timers`, `createSource`, `createSink`), so
 * tests drive it with real parts and a stepped clock.
 */
import type { Logger } from 'pino';
import { loadAll, type LoadOptions } from '../config/load.js';
import { EngineCounters, MAX_STATE_BYTES } from '../engine/index.js';
import type { Config } from '../model/config.js';
import type { AlertSink, EventSource, EventsHandler } from '../model/ports.js';
import { formatProblem, UserError } from '../problems.js';
import { realTimers, type Timers } from '../time.js';
import { EngineStateSaver, restoreEngine } from './engine-state.js';
import { HeldAlerts } from './held-alerts.js';
import type { DaemonMetrics } from './metrics.js';
import { RunningDaemon } from './running.js';
import type { ServiceNotifier } from './sd-notify.js';

export { RunningDaemon } from './running.js';

export interface StageContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  /** The daemon's clock and timers. */
  readonly timers: Timers;
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
  /** The clock and the timers of the tick, the persist throttle and the watch debounce. Default: real ones. */
  readonly timers?: Timers | undefined;
  /** A clock alone, with real timers (when `timers` is not given). */
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

/** A failing rule is logged at most this often (its failures are counted in tailwatch_rule_errors_total). */
const RULE_ERROR_LOG_EVERY_MS = 60_000;
const MAX_HELD_ALERTS = 10_000;
/** Retries of held alerts: after 1 s, doubling, at most every 10 s (each is one failed transaction). */
const HELD_BACKOFF = { initialMs: 1_000, maxMs: 10_000 };

export class Daemon {
  private readonly timers: Timers;
  private readonly log: Logger;
  /** Per rule: when its last failure was logged, and how many since were not. */
  private readonly ruleErrorsLogged = new Map<string, { at: number; unlogged: number }>();

  constructor(private readonly opts: DaemonOptions) {
    this.timers = opts.timers ?? (opts.now ? { ...realTimers, now: opts.now } : realTimers);
    this.log = opts.logger;
  }

  /**
   * Loads everything and starts it. Throws UserError when the config or rules are invalid; when a
   * later step fails (the status server cannot listen, the state cannot be read) what was started
   * is stopped before the error is thrown.
   */
  async start(): Promise<RunningDaemon> {
    const loaded = await loadAll({ ...this.opts.load, now: this.timers.now() });
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    for (const w of loaded.problems.filter((p) => p.severity === 'warning')) this.log.warn({ problem: formatProblem(w) }, 'configuration warning');
    if (errors.length) throw new UserError(errors);
    const { config, ruleSet } = loaded;

    const saver = new EngineStateSaver({ dir: config.state.dir, maxBytes: this.opts.stateMaxBytes ?? MAX_STATE_BYTES, now: () => this.timers.now(), log: this.log });
    const state = saver.read();
    const counters = new EngineCounters();
    const engine = restoreEngine(state, { ruleSet, config, counters, onRuleError: this.onRuleError, log: this.log });
    this.log.info({ rules: ruleSet.rules.length, files: ruleSet.files.length, restoredState: state !== undefined }, 'rules loaded');

    const running = new RunningDaemon({
      opts: this.opts,
      timers: this.timers,
      log: this.log,
      config,
      ruleSet,
      counters,
      engine,
      saver,
      held: new HeldAlerts({ max: this.opts.maxHeldAlerts ?? MAX_HELD_ALERTS, backoff: HELD_BACKOFF }),
    });
    try {
      await running.begin();
    } catch (err) {
      await running.stop();
      throw err;
    }
    return running;
  }

  /** A rule failed on an event or timer (the other rules got it): counted by the engine, logged once a minute per rule. */
  private readonly onRuleError = (ruleId: string, err: unknown): void => {
    const now = this.timers.now();
    const last = this.ruleErrorsLogged.get(ruleId);
    if (last !== undefined && now - last.at < RULE_ERROR_LOG_EVERY_MS) {
      last.unlogged++;
      return;
    }
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.log.error({ rule: ruleId, error, ...(last?.unlogged ? { notLogged: last.unlogged } : {}) }, 'rule failed; it skipped this event or timer, the other rules got it');
    this.ruleErrorsLogged.set(ruleId, { at: now, unlogged: 0 });
  };
}
