/**
 * The loaded, validated, defaults-applied configuration and rule set.
 * These plain, deeply readonly values are the single input of the engine,
 * the planner and the notifiers; tests build them by hand.
 * Durations are milliseconds; paths are absolute.
 */

import type { LogGroupTarget } from '../aws/log-group-ref.js';

/** Where a value came from, for messages that point back at the YAML. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type Severity = 'info' | 'warning' | 'error' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error', 'critical'];

/** A `$.a.b[0]` selector into a JSON message, or one of the event's own fields. */
export type FieldRef = string;

export type LeafOperator =
  | { readonly op: 'equals'; readonly value: string | number | boolean | null }
  | { readonly op: 'notEquals'; readonly value: string | number | boolean | null }
  | { readonly op: 'in'; readonly value: readonly (string | number | boolean | null)[] }
  | { readonly op: 'contains'; readonly value: string }
  | { readonly op: 'startsWith'; readonly value: string }
  | { readonly op: 'endsWith'; readonly value: string }
  | { readonly op: 'regex'; readonly value: string }
  | { readonly op: 'gt' | 'gte' | 'lt' | 'lte'; readonly value: number }
  | { readonly op: 'exists'; readonly value: boolean };

export type MatchNode =
  | { readonly kind: 'all'; readonly children: readonly MatchNode[]; readonly pos: SourcePos }
  | { readonly kind: 'any'; readonly children: readonly MatchNode[]; readonly pos: SourcePos }
  | { readonly kind: 'not'; readonly child: MatchNode; readonly pos: SourcePos }
  | { readonly kind: 'field'; readonly field: FieldRef; readonly test: LeafOperator; readonly pos: SourcePos }
  | { readonly kind: 'pattern'; readonly pattern: string; readonly pos: SourcePos };

export interface RuleSource {
  /** Names or ARNs exactly as written (1..10). */
  readonly logGroups: readonly string[];
  /** `logGroups` taken apart when the rules loaded (src/aws `logGroupTargets` reads either); not part of what the rule counts. */
  readonly targets?: readonly LogGroupTarget[] | undefined;
  readonly logStreams?: readonly string[] | undefined;
  readonly logStreamPrefixes?: readonly string[] | undefined;
  /** CloudWatch filter pattern; '' or undefined matches everything. */
  readonly filterPattern?: string | undefined;
  /** Region for log group names (the region of the rule's source). */
  readonly region?: string | undefined;
  /** The source (`sources:` name) whose account and region the rule watches; undefined: `default`. */
  readonly from?: string | undefined;
}

/**
 * How a rule's events reach it: `live` (a Live Tail session, billed per session-minute) or
 * `poll` (FilterLogEvents over its log groups every `intervalMs`, up to `lagMs` before now:
 * the ingestion delay allowed for). Either way the same engine decides in the same order.
 */
export type RuleFeed =
  | { readonly kind: 'live' }
  | { readonly kind: 'poll'; readonly intervalMs: number; readonly lagMs: number };

export const LIVE_FEED: RuleFeed = Object.freeze({ kind: 'live' });
/** `poll.lag` when not written: FilterLogEvents usually sees an event within seconds of its ingestion. */
export const DEFAULT_POLL_LAG_MS = 30_000;
/** Limits of `feed.poll` and `feed.lag` (a poll window longer than the backfill limit is not fetched whole). */
export const POLL_INTERVAL_MIN_MS = 1_000;
export const POLL_INTERVAL_MAX_MS = 3_600_000;
export const POLL_LAG_MAX_MS = 3_600_000;

export type RuleWindow =
  | { readonly type: 'threshold'; readonly count: number; readonly withinMs: number; readonly groupBy: readonly string[]; readonly maxGroups: number }
  | { readonly type: 'absence'; readonly count: number; readonly withinMs: number; readonly groupBy: readonly string[]; readonly maxGroups: number }
  | { readonly type: 'spike'; readonly factor: number; readonly minCount: number; readonly withinMs: number; readonly groupBy: readonly string[]; readonly maxGroups: number };

export interface Rule {
  readonly id: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly severity: Severity;
  readonly labels: Readonly<Record<string, string>>;
  readonly source: RuleSource;
  /** Undefined: live. Not part of what the rule counts: changing it keeps the rule's windows. */
  readonly feed?: RuleFeed | undefined;
  readonly match?: MatchNode | undefined;
  /** Undefined: every matching event fires. */
  readonly window?: RuleWindow | undefined;
  readonly throttleMs: number;
  readonly resolve: boolean;
  readonly notify: readonly string[];
  /** Raw templates; `{{ }}` placeholders are checked at load time. */
  readonly title: string;
  readonly message: string;
  /**
   * Raw templates of a resolved alert (same variables; `kind` is `resolved`),
   * from the rule or a `defaults:` block. Undefined: the built-in resolved
   * wording, never the firing `title`/`message`.
   */
  readonly resolvedTitle?: string | undefined;
  readonly resolvedMessage?: string | undefined;
  /** Where the rule is defined (its `id` node). */
  readonly pos: SourcePos;
}

export interface RuleSet {
  readonly rules: readonly Rule[];
  /** The rule files that were read, absolute paths. */
  readonly files: readonly string[];
}

export interface SlackDestination {
  readonly type: 'slack';
  readonly name: string;
  readonly url: string;
  readonly username?: string | undefined;
  readonly iconEmoji?: string | undefined;
  readonly channel?: string | undefined;
}
export interface WebhookDestination {
  readonly type: 'webhook';
  readonly name: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly secret?: string | undefined;
  /** A template tree sent instead of the standard payload. */
  readonly body?: unknown;
}
export interface AlertmanagerDestination {
  readonly type: 'alertmanager';
  readonly name: string;
  /** The first peer (`url`, or `peers[0]`). */
  readonly url: string;
  /** Every Alertmanager of the cluster; each alert is posted to each (`url` alone: one peer). */
  readonly peers?: readonly string[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** Labels added to every alert unless the alert has a label of that name (the same on every replica). */
  readonly externalLabels?: Readonly<Record<string, string>> | undefined;
  /** How often the daemon re-posts its open firings (default 1m). */
  readonly resendIntervalMs?: number | undefined;
}
export interface ConsoleDestination {
  readonly type: 'console';
  readonly name: string;
}
export type Destination = SlackDestination | WebhookDestination | AlertmanagerDestination | ConsoleDestination;

/** Delivery settings shared by every destination (`delivery` in docs/config.md). */
export interface DeliveryConfig {
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly maxAgeMs: number;
  readonly timeoutMs: number;
  /** Most pending deliveries per destination; beyond, the oldest are dropped (queue-full). */
  readonly maxQueued: number;
}

export interface Silence {
  readonly rule?: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** Epoch milliseconds. */
  readonly until: number;
  readonly reason?: string | undefined;
  readonly pos: SourcePos;
}

/**
 * How rules become Live Tail sessions: `adaptive` (default) packs like `economical` and splits
 * sessions that are sampled too often; `precise` gives each distinct source its own session;
 * `economical` packs 10 log groups a session.
 */
export type SessionStrategy = 'adaptive' | 'precise' | 'economical';

export const SESSION_STRATEGIES: readonly SessionStrategy[] = ['adaptive', 'precise', 'economical'];

export interface SessionsConfig {
  readonly maxConcurrent: number;
  readonly strategy: SessionStrategy;
  readonly pricePerMinute: number;
  readonly rotateAfterMs: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly stallAfterMs: number;
  readonly backfill: boolean;
  /** How late after its timestamp an event may reach tailwatch and still be decided in order. */
  readonly graceMs: number;
  /** FilterLogEvents' ingestion delay: a sampled interval, and the tail of a gap before a new session, are fetched this long after. */
  readonly completionDelayMs: number;
  /** …and given up on (its alerts say sampled) when the budget has not reached it this much later. */
  readonly completionMaxLagMs: number;
}

/**
 * One account and region tailwatch watches (a `sources:` entry; `aws:` is the source named
 * `default`) and the credentials it watches them with: the SDK's default chain, a `profile`,
 * or a role to assume.
 */
export interface AwsSource {
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  readonly accountId?: string | undefined;
  readonly endpoint?: string | undefined;
  /** FilterLogEvents calls a second for backfill, completion and polls (per account and region). */
  readonly filterLogEventsPerSecond?: number | undefined;
  /** A role to assume (through the SDK's own providers). */
  readonly roleArn?: string | undefined;
  readonly externalId?: string | undefined;
  readonly roleSessionName?: string | undefined;
  readonly roleDurationMs?: number | undefined;
  /** A monitoring account's source (CloudWatch cross-account observability): accounts whose log group ARNs its rules may name. */
  readonly linkedAccounts?: readonly string[] | undefined;
}

/** The source a rule without `source.from` uses; `aws:` configures it. */
export const DEFAULT_SOURCE = 'default';

export interface Config {
  /** Absolute path of the config file ('' when none was read). */
  readonly file: string;
  /** The source named `default` (`aws:`, or `sources.default`). */
  readonly aws: AwsSource;
  /** Every source by name, `default` included; undefined: `aws` alone (as `default`). */
  readonly sources?: Readonly<Record<string, AwsSource>> | undefined;
  /** This daemon runs the sources whose stable hash falls on `index` of `count` shards. */
  readonly shard?: { readonly index: number; readonly count: number } | undefined;
  readonly rules: {
    readonly paths: readonly string[];
    readonly watch: boolean;
    /** A rule set without any (enabled) rule is ready (`/readyz` 200) and not a validation warning. */
    readonly allowEmpty: boolean;
  };
  readonly defaults: RuleDefaults;
  readonly destinations: Readonly<Record<string, Destination>>;
  readonly delivery: DeliveryConfig;
  readonly sessions: SessionsConfig;
  readonly state: { readonly dir: string };
  readonly server?: { readonly listen: string } | undefined;
  readonly silences: readonly Silence[];
  readonly heartbeat?: { readonly cron: string; readonly url: string } | undefined;
  /** Identical daemons run for high availability (documents intent; `plan` multiplies the cost). */
  readonly ha?: { readonly replicas: number } | undefined;
  readonly log: { readonly level: string };
}

/** Fields a `defaults:` block (config or rule file) may set. */
export interface RuleDefaults {
  readonly notify?: readonly string[] | undefined;
  readonly throttleMs?: number | undefined;
  readonly severity?: Severity | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly resolve?: boolean | undefined;
  readonly resolvedTitle?: string | undefined;
  readonly resolvedMessage?: string | undefined;
  readonly feed?: RuleFeed | undefined;
}
