/**
 * A rule's `feed` (rule, file `defaults:` or config `defaults:`): `live`, or
 * `{ poll: 1m, lag: 30s }`. The schema checks its shape and duration syntax;
 * this turns it into a `RuleFeed` and checks the ranges, at their position.
 */
import { formatDuration, parseDuration } from '../duration.js';
import type { Problem } from '../problems.js';
import { DEFAULT_POLL_LAG_MS, LIVE_FEED, POLL_INTERVAL_MAX_MS, POLL_INTERVAL_MIN_MS, POLL_LAG_MAX_MS, type RuleFeed } from '../model/config.js';
import { displayPath } from './schema.js';
import type { YamlPath, YamlSource } from './yaml-source.js';

export type RawFeed = 'live' | { poll: string; lag?: string };

/** Schema-checked `feed` → typed (undefined: not written). Out-of-range values are clamped here and reported by `feedProblems`. */
export function buildFeed(raw: RawFeed | undefined): RuleFeed | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'live') return LIVE_FEED;
  const intervalMs = parseDuration(raw.poll) ?? POLL_INTERVAL_MIN_MS;
  const lagMs = raw.lag === undefined ? DEFAULT_POLL_LAG_MS : (parseDuration(raw.lag) ?? DEFAULT_POLL_LAG_MS);
  return Object.freeze({ kind: 'poll', intervalMs: clamp(intervalMs, POLL_INTERVAL_MIN_MS, POLL_INTERVAL_MAX_MS), lagMs: clamp(lagMs, 0, POLL_LAG_MAX_MS) });
}

/** Range problems of a schema-valid `feed` at `base` (e.g. `['rules', 3, 'feed']`). */
export function feedProblems(raw: unknown, source: YamlSource, base: YamlPath, ruleId?: string): Problem[] {
  if (raw === null || typeof raw !== 'object') return [];
  const out: Problem[] = [];
  const { poll, lag } = raw as { poll?: unknown; lag?: unknown };
  const at = (key: string, message: string): void => {
    out.push(source.problem([...base, key], `${displayPath([...base, key])}: ${message}`, 'feed', ruleId !== undefined ? { ruleId } : {}));
  };
  const p = typeof poll === 'string' ? parseDuration(poll) : undefined;
  if (p !== undefined && (p < POLL_INTERVAL_MIN_MS || p > POLL_INTERVAL_MAX_MS)) at('poll', `must be between ${formatDuration(POLL_INTERVAL_MIN_MS)} and ${formatDuration(POLL_INTERVAL_MAX_MS)}, got ${poll as string}`);
  const l = typeof lag === 'string' ? parseDuration(lag) : undefined;
  if (l !== undefined && l > POLL_LAG_MAX_MS) at('lag', `must be at most ${formatDuration(POLL_LAG_MAX_MS)}, got ${lag as string}`);
  return out;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
