/**
 * SessionSpec: one planned Live Tail session — the StartLiveTail input, its
 * region, the rules it serves — and the label that names it in logs and
 * metrics (a hash of the parameters, so it is stable across reloads).
 */
import { createHash } from 'node:crypto';
import { stableJson } from '../engine/compile.js';

/** Exactly the StartLiveTail input (besides the region the client is for). */
export interface SessionParams {
  readonly logGroupIdentifiers: readonly string[];
  readonly logStreamNames?: readonly string[] | undefined;
  readonly logStreamNamePrefixes?: readonly string[] | undefined;
  readonly logEventFilterPattern?: string | undefined;
}

export interface SessionSpec {
  /** `lt-` + 8 hex digits of the region and parameters. */
  readonly id: string;
  readonly region: string;
  readonly params: SessionParams;
  /** Rule ids served, sorted. */
  readonly rules: readonly string[];
  readonly monthlyCost: number;
  /** `adaptive`: the keys of the split decisions whose rules this session serves (absent otherwise). */
  readonly splitOf?: readonly string[] | undefined;
}

/**
 * One planned poll: FilterLogEvents over one log group (its stream filter, its rules' union
 * pattern) every `intervalMs`, up to `lagMs` before now. Rules polled on the same group with
 * the same interval and lag share it.
 */
export interface PollSpec {
  /** `pl-` + 8 hex digits of the region, parameters, interval and lag. */
  readonly id: string;
  readonly region: string;
  /** One log group; the FilterLogEvents input besides the time range. */
  readonly params: SessionParams;
  readonly intervalMs: number;
  readonly lagMs: number;
  /** Rule ids served, sorted. */
  readonly rules: readonly string[];
  /** FilterLogEvents calls a minute at one page a call (one call per stream prefix). */
  readonly callsPerMinute: number;
}

export interface UnplacedRule {
  readonly rule: string;
  readonly reason: string;
}

export interface Plan {
  readonly sessions: readonly SessionSpec[];
  /** Polled rules (`feed: { poll }`): no session, FilterLogEvents every interval. */
  readonly polls: readonly PollSpec[];
  readonly unplaced: readonly UnplacedRule[];
  /** Rules planned on only some of their log groups (the others excluded: missing or denied), and why. */
  readonly partlyServed: readonly UnplacedRule[];
  readonly monthlyCost: number;
}

/** Session-minutes of one session running all month (30 days). */
export const MINUTES_A_MONTH = 30 * 24 * 60;

export function sessionId(region: string, params: SessionParams): string {
  return 'lt-' + createHash('sha256').update(stableJson({ region, ...params })).digest('hex').slice(0, 8);
}

export function pollId(region: string, params: SessionParams, intervalMs: number, lagMs: number): string {
  return 'pl-' + createHash('sha256').update(stableJson({ region, ...params, intervalMs, lagMs })).digest('hex').slice(0, 8);
}

/** Cents-exact money without float noise. */
export function money(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * The log group name in a result's or rule's identifier: `arn:aws:logs:r:a:log-group:/x`
 * (also with `:*`) → `/x`; `123456789012:/x` (the form the service is reported to
 * echo in Live Tail results) → `/x`; names pass through (they cannot contain `:`).
 */
export function groupNameOf(identifier: string): string {
  if (!identifier.startsWith('arn:')) {
    const colon = identifier.lastIndexOf(':');
    return colon < 0 ? identifier : identifier.slice(colon + 1);
  }
  const at = identifier.indexOf(':log-group:');
  if (at < 0) return identifier;
  const name = identifier.slice(at + ':log-group:'.length);
  return name.endsWith(':*') ? name.slice(0, -2) : name;
}

/** The region part of a log group ARN, or undefined for a name. */
export function arnRegion(identifier: string): string | undefined {
  if (!identifier.startsWith('arn:')) return undefined;
  const parts = identifier.split(':');
  return parts.length >= 6 && parts[3] !== '' ? parts[3] : undefined;
}

/** The parts of a log group ARN (`arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME`, `:*` dropped), or undefined. */
export function parseGroupArn(arn: string): { partition: string; region: string; account: string; name: string } | undefined {
  const m = /^arn:(aws[a-z-]*):logs:([a-z0-9-]+):(\d{12}):log-group:(.+)$/.exec(arn);
  if (!m) return undefined;
  const name = m[4]!.endsWith(':*') ? m[4]!.slice(0, -2) : m[4]!;
  return { partition: m[1]!, region: m[2]!, account: m[3]!, name };
}

/** The ARN partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, `aws` elsewhere. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * What users read about a log group a session was refused for: the group, the region and
 * the account (from its ARN), e.g. `log group /aws/lambda/payments not found in eu-west-1
 * (account 123456789012)`.
 */
export function groupRefusalText(identifier: string, region: string, reason: 'not-found' | 'access-denied', account = parseGroupArn(identifier)?.account): string {
  const where = `in ${region}${account ? ` (account ${account})` : ''}`;
  const name = groupNameOf(identifier);
  return reason === 'not-found' ? `log group ${name} not found ${where}` : `access denied to log group ${name} ${where}`;
}

/** What the plan JSON prints for one poll. */
export function pollJson(p: PollSpec): Record<string, unknown> {
  const o: Record<string, unknown> = { region: p.region, logGroupIdentifier: p.params.logGroupIdentifiers[0] };
  if (p.params.logStreamNames) o['logStreamNames'] = p.params.logStreamNames;
  if (p.params.logStreamNamePrefixes) o['logStreamNamePrefixes'] = p.params.logStreamNamePrefixes;
  if (p.params.logEventFilterPattern !== undefined) o['filterPattern'] = p.params.logEventFilterPattern;
  o['interval'] = p.intervalMs / 1000;
  o['lag'] = p.lagMs / 1000;
  o['rules'] = p.rules;
  o['callsPerMinute'] = p.callsPerMinute;
  return o;
}

/** What `tailwatch plan --format json` prints for one session. */
export function sessionJson(s: SessionSpec): Record<string, unknown> {
  const o: Record<string, unknown> = { region: s.region, logGroupIdentifiers: s.params.logGroupIdentifiers };
  if (s.params.logStreamNames) o['logStreamNames'] = s.params.logStreamNames;
  if (s.params.logStreamNamePrefixes) o['logStreamNamePrefixes'] = s.params.logStreamNamePrefixes;
  if (s.params.logEventFilterPattern !== undefined) o['logEventFilterPattern'] = s.params.logEventFilterPattern;
  o['rules'] = s.rules;
  o['monthlyCost'] = s.monthlyCost;
  return o;
}
