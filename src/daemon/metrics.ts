/**
 * The daemon's Prometheus metrics (`/metrics`; docs/operations.md lists
 * each) over prom-client. Hot paths (engine, notify,
 * sessions) bump plain counters; this module reads them at scrape time
 * (`collect`), so no metrics library sits on the per-event path.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineCounters } from '../engine/counters.js';
import type { LiveCounters } from '../engine/live.js';

export interface MetricSources {
  engine(): EngineCounters;
  live(): LiveCounters;
  /** Per source, the last instant it covered (undefined: nothing yet). */
  watermarks(): ReadonlyMap<string, number | undefined>;
  /** The source (account and region, by `sources:` name) a session or poll id runs in. */
  sourceOf?(id: string): string | undefined;
  now(): number;
  rulesLoaded(): number;
  /** Per source this daemon runs (`default` for `aws:`, else its `sources:` name, 0 included): its rules that cannot run. */
  unhealthyRules(): ReadonlyMap<string, number>;
  outboxDepth(): number;
  /** Alerts decided but held in memory because the outbox cannot write. */
  heldAlerts(): number;
}

export interface DaemonMetrics {
  readonly registry: Registry;
  readonly eventLag: Histogram<string>;
  readonly delivered: Counter<'destination'>;
  readonly deliveryFailed: Counter<'destination' | 'reason'>;
  readonly deliveryDropped: Counter<'destination' | 'reason'>;
  readonly sessionStarts: Counter<'session' | 'source'>;
  readonly sessionRestarts: Counter<'session' | 'reason' | 'source'>;
  readonly sampledUpdates: Counter<'session' | 'source'>;
  readonly completedEvents: Counter<'session' | 'source'>;
  readonly completionsAbandoned: Counter<'session' | 'source'>;
  readonly completionBacklog: Gauge<'session' | 'source'>;
  readonly malformedEvents: Counter<string>;
  readonly reloads: Counter<'result'>;
  readonly backfilledEvents: Counter<'session' | 'source'>;
  readonly polledEvents: Counter<'poll' | 'source'>;
  readonly pollOverruns: Counter<'poll' | 'source'>;
  readonly pollFailures: Counter<'poll' | 'reason' | 'source'>;
  readonly outboxWriteErrors: Counter<string>;
}

export function createMetrics(sources: MetricSources): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tailwatch_' });
  // prom-client also serves three gauges named `…_total`, a suffix Prometheus' conventions (and
  // `promtool check metrics`) reserve for counters; the same totals are the sums of its
  // per-type gauges `tailwatch_nodejs_active_{handles,requests,resources}`.
  for (const what of ['handles', 'requests', 'resources'] as const) {
    registry.removeSingleMetric(`tailwatch_nodejs_active_${what}_total`);
  }
  const perRule = (name: string, help: string, read: (c: ReturnType<EngineCounters['forRule']>) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['rule'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [rule, c] of sources.engine().rules) this.inc({ rule }, read(c));
      },
    });
  perRule('tailwatch_events_received_total', 'Events routed to a rule (its log groups and streams).', (c) => c.received);
  perRule('tailwatch_events_matched_total', 'Events that passed a rule’s filter pattern and conditions.', (c) => c.matched);
  perRule('tailwatch_alerts_fired_total', 'Firings decided by a rule’s window (sent, suppressed or silenced).', (c) => c.fired);
  perRule('tailwatch_alerts_suppressed_total', 'Firings held back by the throttle.', (c) => c.suppressed);
  perRule('tailwatch_alerts_silenced_total', 'Alerts a silence held back.', (c) => c.silenced);
  perRule('tailwatch_alerts_resolved_total', 'Resolved alerts decided.', (c) => c.resolved);
  perRule('tailwatch_groups_evicted_total', 'Groups dropped because window.maxGroups was reached.', (c) => c.evictedGroups);
  perRule('tailwatch_rule_errors_total', 'Exceptions while a rule evaluated an event or timer or rendered its alert (skipped for that rule only).', (c) => c.errors);
  new Counter({
    name: 'tailwatch_events_total',
    help: 'Events delivered by the sources (each copy a session delivered).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.engine().events);
    },
  });
  new Counter({
    name: 'tailwatch_sampled_events_total',
    help: 'Events that arrived in a Live Tail update flagged sampled.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.engine().sampledEvents);
    },
  });
  new Counter({
    name: 'tailwatch_events_late_total',
    help: 'Events that reached a rule after its watermark had passed their timestamp (a duplicate another session delivered, or ingested later than sessions.grace): not evaluated.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.live().late);
    },
  });
  new Counter({
    name: 'tailwatch_source_gaps_total',
    help: 'Gaps a session could not backfill (its rules skipped them; firings whose window overlaps one say sampled).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.live().gaps);
    },
  });
  new Gauge({
    name: 'tailwatch_source_watermark_lag_seconds',
    help: 'Now minus the last instant a session or poll covered completely: its rules decide up to there (grows while it is down or backfilling; a poll trails by its lag plus up to its interval).',
    labelNames: ['session', 'source'],
    registers: [registry],
    collect() {
      this.reset();
      const now = sources.now();
      for (const [session, w] of sources.watermarks()) {
        if (w === undefined) continue;
        const source = sources.sourceOf?.(session);
        this.set(source === undefined ? { session } : { session, source }, Math.max(0, now - w) / 1000);
      }
    },
  });
  new Gauge({ name: 'tailwatch_rules_loaded', help: 'Rules running.', registers: [registry], collect() { this.set(sources.rulesLoaded()); } });
  new Gauge({
    name: 'tailwatch_rules_unhealthy',
    help: 'Rules whose session cannot run (access denied, missing log group, invalid parameter), by source.',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      // A source removed (restart) leaves no stale series; a healthy source reads 0, so sum() and `> 0` alerts both work.
      this.reset();
      for (const [source, n] of sources.unhealthyRules()) this.set({ source }, n);
    },
  });
  new Gauge({ name: 'tailwatch_outbox_depth', help: 'Deliveries waiting in the outbox.', registers: [registry], collect() { this.set(sources.outboxDepth()); } });
  new Gauge({ name: 'tailwatch_outbox_held_alerts', help: 'Alerts decided but held in memory because the outbox cannot write (disk full); retried with backoff.', registers: [registry], collect() { this.set(sources.heldAlerts()); } });

  return {
    registry,
    eventLag: new Histogram({
      name: 'tailwatch_event_lag_seconds',
      help: 'Receive time minus event timestamp.',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    delivered: new Counter({ name: 'tailwatch_alerts_delivered_total', help: 'Alerts a destination accepted (2xx).', labelNames: ['destination'], registers: [registry] }),
    deliveryFailed: new Counter({ name: 'tailwatch_alerts_failed_total', help: 'Failed delivery attempts.', labelNames: ['destination', 'reason'], registers: [registry] }),
    deliveryDropped: new Counter({ name: 'tailwatch_alerts_dropped_total', help: 'Alerts given up on (permanent error or too old).', labelNames: ['destination', 'reason'], registers: [registry] }),
    sessionStarts: new Counter({ name: 'tailwatch_session_starts_total', help: 'Live Tail sessions started.', labelNames: ['session', 'source'], registers: [registry] }),
    sessionRestarts: new Counter({ name: 'tailwatch_session_restarts_total', help: 'Live Tail session restarts by reason.', labelNames: ['session', 'reason', 'source'], registers: [registry] }),
    sampledUpdates: new Counter({ name: 'tailwatch_sampled_updates_total', help: 'Live Tail updates flagged sampled.', labelNames: ['session', 'source'], registers: [registry] }),
    completedEvents: new Counter({ name: 'tailwatch_completed_events_total', help: 'Events that completing sampled seconds with FilterLogEvents added to what the stream delivered.', labelNames: ['session', 'source'], registers: [registry] }),
    completionsAbandoned: new Counter({ name: 'tailwatch_completions_abandoned_total', help: 'Sampled intervals not completed (FilterLogEvents budget too small, or errors): their alerts say sampled.', labelNames: ['session', 'source'], registers: [registry] }),
    completionBacklog: new Gauge({ name: 'tailwatch_completion_backlog', help: 'Sampled intervals waiting to be completed.', labelNames: ['session', 'source'], registers: [registry] }),
    malformedEvents: new Counter({ name: 'tailwatch_malformed_events_total', help: 'Events skipped because they could not be read.', registers: [registry] }),
    reloads: new Counter({ name: 'tailwatch_reloads_total', help: 'Rule reloads by result.', labelNames: ['result'], registers: [registry] }),
    backfilledEvents: new Counter({ name: 'tailwatch_backfilled_events_total', help: 'Events fetched with FilterLogEvents after a gap.', labelNames: ['session', 'source'], registers: [registry] }),
    polledEvents: new Counter({ name: 'tailwatch_polled_events_total', help: 'Events the polls of polled rules read with FilterLogEvents.', labelNames: ['poll', 'source'], registers: [registry] }),
    pollOverruns: new Counter({ name: 'tailwatch_poll_overruns_total', help: 'Polls that started an interval or more after they were due (FilterLogEvents budget or service too slow).', labelNames: ['poll', 'source'], registers: [registry] }),
    pollFailures: new Counter({ name: 'tailwatch_poll_failures_total', help: 'Polls that failed (the same window is read again) by reason.', labelNames: ['poll', 'reason', 'source'], registers: [registry] }),
    outboxWriteErrors: new Counter({ name: 'tailwatch_outbox_write_errors_total', help: 'Outbox writes that failed (disk full, I/O error): enqueues, leases, outcomes.', registers: [registry] }),
  };
}
