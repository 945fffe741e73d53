/**
 * Sources: the accounts and regions one daemon watches. `aws:` is the source named
 * `default`; `sources:` adds more by name; a rule picks one with `source.from`. Every
 * stage below plans, budgets and counts the quota per source by running on the
 * projection `configForSource` (the source as `aws`) with `rulesForSource`.
 *
 * Shards: `shard: {index, count}` keeps the sources whose stable hash falls on this
 * shard. The hash is rendezvous hashing (highest random weight) over the source's
 * account and region (its name when either is unknown): no coordination between
 * daemons, and growing `count` from N to N+1 moves only the sources the new shard takes.
 */
import { createHash } from 'node:crypto';
import { parseDuration } from '../duration.js';
import type { Problem } from '../problems.js';
import { DEFAULT_SOURCE, type AwsSource, type Config, type RuleSet } from '../model/config.js';
import type { YamlSource } from './yaml-source.js';

export interface RawAwsSource {
  region?: string;
  profile?: string;
  accountId?: string;
  endpoint?: string;
  filterLogEventsPerSecond?: number;
  roleArn?: string;
  externalId?: string;
  sessionName?: string;
  duration?: string;
  linkedAccounts?: string[];
}

/** Shortest and longest role session STS grants (DurationSeconds 900..43200). */
export const ROLE_DURATION_MIN_MS = 900_000;
export const ROLE_DURATION_MAX_MS = 12 * 3_600_000;

/** The session name a role is assumed with when `sessionName` is not set: `tailwatch-<source>` (CloudTrail shows it). */
export function defaultRoleSessionName(name: string): string {
  return `tailwatch-${name}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export function buildSource(raw: RawAwsSource | undefined, name: string = DEFAULT_SOURCE): AwsSource {
  if (!raw) return {};
  const { duration, sessionName, linkedAccounts, ...rest } = raw;
  const out: Record<string, unknown> = { ...rest };
  if (sessionName !== undefined) out['roleSessionName'] = sessionName;
  else if (raw.roleArn !== undefined) out['roleSessionName'] = defaultRoleSessionName(name);
  if (duration !== undefined) out['roleDurationMs'] = parseDuration(duration);
  if (linkedAccounts !== undefined) out['linkedAccounts'] = [...linkedAccounts];
  return out as AwsSource;
}

/** Every source by name, `default` first, then by name. */
export function sourcesOf(config: Config): [string, AwsSource][] {
  const all = config.sources ?? { [DEFAULT_SOURCE]: config.aws };
  return Object.entries(all).sort(([a], [b]) => (a === DEFAULT_SOURCE ? -1 : b === DEFAULT_SOURCE ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

/** The source a rule watches through. */
export function sourceOfRule(rule: { readonly source: { readonly from?: string | undefined } }): string {
  return rule.source.from ?? DEFAULT_SOURCE;
}

/** The config as the stages below see one source: the source as `aws`, no other source, no shard. */
export function configForSource(config: Config, name: string): Config {
  const aws = (config.sources ?? { [DEFAULT_SOURCE]: config.aws })[name] ?? {};
  return { ...config, aws, sources: undefined, shard: undefined };
}

/** The rules watching through one source. */
export function rulesForSource(ruleSet: RuleSet, name: string): RuleSet {
  return { ...ruleSet, rules: ruleSet.rules.filter((r) => sourceOfRule(r) === name) };
}

/** What a source's shard is decided by: its account and region, or its name when either is not known. */
export function shardKey(name: string, source: AwsSource): string {
  return source.accountId && source.region ? `${source.accountId}/${source.region}` : `name:${name}`;
}

/** The shard (0..count-1) of a source: rendezvous hashing over its key. */
export function shardOf(key: string, count: number): number {
  let best = 0;
  let bestWeight = -1n;
  for (let i = 0; i < count; i++) {
    const weight = BigInt('0x' + createHash('sha256').update(`${i}\n${key}`).digest('hex').slice(0, 16));
    if (weight > bestWeight) {
      best = i;
      bestWeight = weight;
    }
  }
  return best;
}

/** The names of the sources this daemon runs (all of them without `shard`). */
export function sourcesInShard(config: Config, shard = config.shard): string[] {
  return sourcesOf(config)
    .filter(([name, s]) => !shard || shardOf(shardKey(name, s), shard.count) === shard.index)
    .map(([name]) => name);
}

/** The config and rule set of the sources in this daemon's shard (everything without `shard`). */
export function shardPart(ruleSet: RuleSet, config: Config, shard = config.shard): { ruleSet: RuleSet; names: string[] } {
  const names = sourcesInShard(config, shard);
  const keep = new Set(names);
  return { ruleSet: { ...ruleSet, rules: ruleSet.rules.filter((r) => keep.has(sourceOfRule(r))) }, names };
}

interface RawSourcesConfig {
  aws?: unknown;
  sources?: Record<string, RawAwsSource>;
  shard?: { index: number; count: number };
}

/**
 * The problems of `aws:`, `sources:` and `shard:` past the schema: the default source
 * written twice, role settings without a role or a duration STS refuses, two sources on one account and
 * region (one quota counted twice), a shard index past its count.
 */
export function sourceProblems(raw: RawSourcesConfig, source: YamlSource): Problem[] {
  const out: Problem[] = [];
  if (!raw || typeof raw !== 'object') return out;
  const sources = raw.sources && typeof raw.sources === 'object' ? raw.sources : {};
  if (raw.aws !== undefined && sources[DEFAULT_SOURCE] !== undefined) {
    out.push(source.problem(['sources', DEFAULT_SOURCE], 'sources.default: aws: is the source named default; write one of them', 'source', { at: 'key' }));
  }
  const entries: [string, RawAwsSource, (string | number)[]][] = Object.entries(sources).map(([n, s]) => [n, s, ['sources', n]]);
  if (raw.aws && typeof raw.aws === 'object') entries.unshift([DEFAULT_SOURCE, raw.aws as RawAwsSource, ['aws']]);
  const seen = new Map<string, string>();
  for (const [name, s, at] of entries) {
    if (!s || typeof s !== 'object') continue;
    const where = at.join('.');
    if (s.roleArn !== undefined) {
      const ms = typeof s.duration === 'string' ? parseDuration(s.duration) : undefined;
      if (ms !== undefined && (ms < ROLE_DURATION_MIN_MS || ms > ROLE_DURATION_MAX_MS || ms % 1000 !== 0)) {
        out.push(source.problem([...at, 'duration'], `${where}.duration: ${s.duration} is not a role session STS grants: whole seconds from 15m to 12h (and at most the role's maximum session duration)`, 'source'));
      }
    } else {
      for (const k of ['externalId', 'sessionName', 'duration'] as const) {
        if (s[k] !== undefined) out.push(source.problem([...at, k], `${where}.${k}: only with roleArn`, 'source', { at: 'key' }));
      }
    }
    if (s.linkedAccounts !== undefined && !s.accountId) {
      out.push(source.problem([...at, 'linkedAccounts'], `${where}.linkedAccounts: needs ${where}.accountId (the monitoring account)`, 'source', { at: 'key' }));
    }
    if (s.accountId && s.region) {
      const key = `${s.accountId}/${s.region}`;
      const other = seen.get(key);
      if (other !== undefined) {
        out.push(source.problem([...at, 'accountId'], `${where}: account ${s.accountId} in ${s.region} is also source ${other}: each would count the 15-session quota of that account and region alone`, 'source', { severity: 'warning' }));
      } else seen.set(key, name);
    }
  }
  const shard = raw.shard;
  if (shard && typeof shard === 'object' && Number.isInteger(shard.index) && Number.isInteger(shard.count) && shard.index >= shard.count) {
    out.push(source.problem(['shard', 'index'], `shard.index: must be below shard.count (${shard.count}): shards are numbered 0..${shard.count - 1}`, 'source'));
  }
  return out;
}
