/**
 * The config file (docs/config.md): YAML → env interpolation → schema → typed
 * `Config` with defaults applied, durations in ms and paths absolute.
 */
import { buildFeed, feedProblems, type RawFeed } from './feed.js';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import path from 'node:path';
import cron from 'node-cron';
import { MAX_CONCURRENT_SESSIONS } from '../aws/index.js';
import { parseDuration } from '../duration.js';
import { checkTemplate } from '../model/template-grammar.js';
import type { InputFileError, Problem } from '../problems.js';
import { interpolateEnv } from './env.js';
import { NO_SUCH_FILE, readInputFile } from './input-file.js';
import { DEFAULT_SOURCE, type Config, type Destination, RuleDefaults, SessionStrategy, Severity, Silence } from '../model/config.js';
import { displayPath, schemaProblems } from './schema.js';
import { buildSource, sourceProblems, type RawAwsSource } from './sources.js';
import { YamlSource, type YamlPath } from './yaml-source.js';

export interface ConfigFileResult {
  readonly config: Config;
  /** The parsed file, to position later problems (e.g. rule paths); absent when no file was read. */
  readonly source?: YamlSource | undefined;
  readonly problems: readonly Problem[];
  /** Destination names as written, even when the config is invalid (so rule files are still checked against them). */
  readonly destinationNames?: readonly string[] | undefined;
}

export interface ReadConfigOptions {
  readonly configPath: string;
  readonly configRequired: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Epoch ms, for expired-silence warnings. */
  readonly now: number;
}

/** The defaults docs/config.md lists, relative to `baseDir`. */
export function defaultConfig(baseDir: string, file = ''): Config {
  return {
    file,
    aws: {},
    rules: { paths: [path.resolve(baseDir, 'rules')], watch: false, allowEmpty: false },
    defaults: {},
    destinations: {},
    delivery: { retryInitialMs: 1_000, retryMaxMs: 300_000, maxAgeMs: 86_400_000, timeoutMs: 10_000, maxQueued: 10_000 },
    sessions: {
      maxConcurrent: MAX_CONCURRENT_SESSIONS,
      strategy: 'adaptive',
      pricePerMinute: 0.01,
      rotateAfterMs: parseDuration('2h55m')!,
      backoff: { initialMs: 1_000, maxMs: 120_000 },
      stallAfterMs: 15_000,
      backfill: true,
      graceMs: 5_000,
      completionDelayMs: 10_000,
      completionMaxLagMs: 60_000,
    },
    state: { dir: path.resolve(baseDir, '.tailwatch-state') },
    silences: [],
    log: { level: 'info' },
  };
}

export async function readConfig(opts: ReadConfigOptions): Promise<ConfigFileResult> {
  const display = displayName(opts.configPath, opts.cwd);
  let text: string;
  try {
    text = await readInputFile(opts.configPath, display);
  } catch (err) {
    // Only an absent default config means built-in defaults; a dangling link or a FIFO there is an error.
    if ((err as InputFileError).reason === NO_SUCH_FILE && !opts.configRequired) return { config: defaultConfig(opts.cwd), problems: [] };
    throw err;
  }
  const { source, problems } = YamlSource.parse(opts.configPath, display, text);
  const base = defaultConfig(path.dirname(opts.configPath), opts.configPath);
  if (problems.some((p) => p.severity === 'error')) return { config: base, source, problems };

  const raw = source.toJS() ?? {};
  const { value, missing } = interpolateEnv(raw, opts.env);
  const out: Problem[] = [...problems];
  for (const m of missing) {
    out.push({ ...source.problem(m.path, '', 'env'), ...source.posInScalar(m.path, m.offset), file: display, message: `environment variable ${m.name} is not set (and has no \${${m.name}:-default})` });
  }
  // A value whose variable is unset is reported once, for the variable, not again as "empty" or "not a URL".
  const later = [
    ...schemaProblems('config', value, source),
    ...urlProblems(value as RawConfig, source),
    ...headerProblems(value as RawConfig, source),
    ...sourceProblems(value as RawConfig, source),
    ...defaultsTemplateProblems(fieldOf(raw, 'defaults'), fieldOf(value, 'defaults'), source, ['defaults']),
    ...feedProblems(fieldOf(fieldOf(value, 'defaults'), 'feed'), source, ['defaults', 'feed']),
  ];
  for (const p of later) if (!missing.some((m) => samePos(source, m.path, p))) out.push(p);
  const destinationNames = value && typeof value === 'object' && (value as RawConfig).destinations && typeof (value as RawConfig).destinations === 'object' ? Object.keys((value as RawConfig).destinations!) : [];
  if (out.some((p) => p.severity === 'error')) {
    // Rule files are still checked (all problems in one run) when their paths are readable.
    const paths = (value as RawConfig).rules?.paths;
    const usable = Array.isArray(paths) && paths.every((p) => typeof p === 'string');
    const rules = usable ? { ...base.rules, paths: paths.map((p) => path.resolve(path.dirname(opts.configPath), p)) } : base.rules;
    return { config: { ...base, rules }, source, problems: out, destinationNames };
  }

  const config = buildConfig(value as RawConfig, base, path.dirname(opts.configPath), source);
  out.push(...semanticProblems(config, source, opts.now));
  return { config, source, problems: out, destinationNames };
}

function samePos(source: YamlSource, path: readonly (string | number)[], p: Problem): boolean {
  const at = source.pos(path);
  return at.line === p.line && at.col === p.col;
}

/** `file` as problems and output name it: relative to the current folder when it is below it. */
export function displayName(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

interface RawConfig {
  aws?: RawAwsSource;
  sources?: Record<string, RawAwsSource>;
  shard?: { index: number; count: number };
  rules?: { paths?: string[]; watch?: boolean; allowEmpty?: boolean };
  defaults?: RawDefaults;
  destinations?: Record<string, Record<string, unknown> & { type: Destination['type'] }>;
  delivery?: { retry?: { initial?: string; max?: string }; maxAge?: string; timeout?: string; maxQueued?: number };
  sessions?: {
    maxConcurrent?: number;
    strategy?: SessionStrategy;
    pricePerMinute?: number;
    rotateAfter?: string;
    backoff?: { initial?: string; max?: string };
    stallAfter?: string;
    backfill?: boolean;
    grace?: string;
    completion?: { delay?: string; maxLag?: string };
  };
  state?: { dir?: string };
  server?: { listen: string };
  silences?: { match: { rule?: string; labels?: Record<string, string> }; until: string; reason?: string }[];
  heartbeat?: { cron: string; url: string };
  ha?: { replicas?: number };
  log?: { level?: string };
}

export interface RawDefaults {
  notify?: string[];
  throttle?: string;
  severity?: Severity;
  labels?: Record<string, string>;
  resolve?: boolean;
  resolvedTitle?: string;
  resolvedMessage?: string;
  feed?: RawFeed;
}

/** The `defaults:` keys that are templates. */
export const DEFAULT_TEMPLATES = ['resolvedTitle', 'resolvedMessage'] as const;

function fieldOf(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

/**
 * Unknown variables in the templates of a `defaults:` block (config or rule
 * file), at their position. `labels.*` and `group.*` depend on the rule that
 * inherits the template, so they are checked per rule (rules.ts), not here.
 * `written` is the block as in the file, `used` after env interpolation: the
 * written text gives the positions; a bad placeholder that only an
 * environment value brought in is reported at the start of the value.
 */
export function defaultsTemplateProblems(written: unknown, used: unknown, source: YamlSource, base: YamlPath): Problem[] {
  const out: Problem[] = [];
  for (const key of DEFAULT_TEMPLATES) {
    const text = fieldOf(used, key);
    if (typeof text !== 'string') continue;
    const asWritten = fieldOf(written, key);
    let found = typeof asWritten === 'string' ? checkTemplate(asWritten) : [];
    if (found.length === 0) found = checkTemplate(text).map((p) => ({ ...p, offset: 0 }));
    const at = [...base, key];
    for (const p of found) out.push({ ...source.posInScalar(at, p.offset), message: `${displayPath(at)}: ${p.message}`, code: 'template', severity: 'error' });
  }
  return out;
}

/** Schema-checked defaults → typed (durations validated by the schema pattern). */
export function buildDefaults(raw: RawDefaults | undefined): RuleDefaults {
  if (!raw) return {};
  return {
    notify: raw.notify,
    throttleMs: raw.throttle === undefined ? undefined : parseDuration(raw.throttle),
    severity: raw.severity,
    labels: raw.labels,
    resolve: raw.resolve,
    resolvedTitle: raw.resolvedTitle,
    resolvedMessage: raw.resolvedMessage,
    feed: buildFeed(raw.feed),
  };
}

function ms(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
}

function buildConfig(raw: RawConfig, base: Config, dir: string, source: YamlSource): Config {
  const destinations: Record<string, Destination> = {};
  for (const [name, d] of Object.entries(raw.destinations ?? {})) {
    destinations[name] = buildDestination(name, d);
  }
  const s = raw.sessions ?? {};
  const aws = buildSource(raw.aws ?? raw.sources?.[DEFAULT_SOURCE], DEFAULT_SOURCE);
  const sources = raw.sources ? Object.fromEntries([[DEFAULT_SOURCE, aws], ...Object.entries(raw.sources).filter(([n]) => n !== DEFAULT_SOURCE).map(([n, r]) => [n, buildSource(r, n)])]) : undefined;
  return {
    ...base,
    aws,
    sources,
    shard: raw.shard ? { index: raw.shard.index, count: raw.shard.count } : undefined,
    rules: {
      paths: (raw.rules?.paths ?? ['rules']).map((p) => path.resolve(dir, p)),
      watch: raw.rules?.watch ?? false,
      allowEmpty: raw.rules?.allowEmpty ?? false,
    },
    defaults: buildDefaults(raw.defaults),
    destinations,
    delivery: {
      retryInitialMs: ms(raw.delivery?.retry?.initial, base.delivery.retryInitialMs),
      retryMaxMs: ms(raw.delivery?.retry?.max, base.delivery.retryMaxMs),
      maxAgeMs: ms(raw.delivery?.maxAge, base.delivery.maxAgeMs),
      timeoutMs: ms(raw.delivery?.timeout, base.delivery.timeoutMs),
      maxQueued: raw.delivery?.maxQueued ?? base.delivery.maxQueued,
    },
    sessions: {
      maxConcurrent: s.maxConcurrent ?? base.sessions.maxConcurrent,
      strategy: s.strategy ?? base.sessions.strategy,
      pricePerMinute: s.pricePerMinute ?? base.sessions.pricePerMinute,
      rotateAfterMs: ms(s.rotateAfter, base.sessions.rotateAfterMs),
      backoff: { initialMs: ms(s.backoff?.initial, base.sessions.backoff.initialMs), maxMs: ms(s.backoff?.max, base.sessions.backoff.maxMs) },
      stallAfterMs: ms(s.stallAfter, base.sessions.stallAfterMs),
      backfill: s.backfill ?? base.sessions.backfill,
      graceMs: ms(s.grace, base.sessions.graceMs),
      completionDelayMs: ms(s.completion?.delay, base.sessions.completionDelayMs),
      completionMaxLagMs: ms(s.completion?.maxLag, base.sessions.completionMaxLagMs),
    },
    state: { dir: raw.state?.dir ? path.resolve(dir, raw.state.dir) : base.state.dir },
    server: raw.server ? { listen: raw.server.listen } : undefined,
    silences: (raw.silences ?? []).map((s): Silence => ({
      rule: s.match.rule,
      labels: s.match.labels ?? {},
      until: Date.parse(s.until),
      reason: s.reason,
      pos: source.objectPos(s),
    })),
    heartbeat: raw.heartbeat ? { cron: raw.heartbeat.cron, url: raw.heartbeat.url } : undefined,
    ha: raw.ha ? { replicas: raw.ha.replicas ?? 1 } : undefined,
    log: { level: raw.log?.level ?? base.log.level },
  };
}

function buildDestination(name: string, d: Record<string, unknown> & { type: Destination['type'] }): Destination {
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  const headers = (d['headers'] as Record<string, string> | undefined) ?? {};
  switch (d.type) {
    case 'slack':
      return { type: 'slack', name, url: str('url')!, username: str('username'), iconEmoji: str('iconEmoji'), channel: str('channel') };
    case 'webhook':
      return { type: 'webhook', name, url: str('url')!, headers, secret: str('secret'), body: d['body'] ?? undefined };
    case 'alertmanager': {
      const peers = Array.isArray(d['peers']) ? (d['peers'] as string[]) : [str('url')!];
      const resend = str('resendInterval');
      return {
        type: 'alertmanager',
        name,
        url: peers[0]!,
        peers,
        headers,
        externalLabels: (d['externalLabels'] as Record<string, string> | undefined) ?? {},
        resendIntervalMs: resend === undefined ? undefined : parseDuration(resend),
      };
    }
    case 'console':
      return { type: 'console', name };
  }
}

const THREE_HOURS = 3 * 3_600_000;

function semanticProblems(config: Config, source: YamlSource, now: number): Problem[] {
  const out: Problem[] = [];
  if (config.heartbeat && !cron.validate(config.heartbeat.cron)) {
    out.push(source.problem(['heartbeat', 'cron'], 'heartbeat.cron: not a valid cron expression', 'cron'));
  }
  for (const d of Object.values(config.destinations)) {
    if (d.type === 'alertmanager' && d.resendIntervalMs !== undefined && d.resendIntervalMs < 1_000) {
      out.push(source.problem(['destinations', d.name, 'resendInterval'], `destinations.${d.name}.resendInterval: must be at least 1s`, 'duration'));
    }
  }
  if (config.sessions.rotateAfterMs >= THREE_HOURS) {
    out.push(source.problem(['sessions', 'rotateAfter'], 'sessions.rotateAfter: must be under 3h (Live Tail ends sessions at 3 hours)', 'duration'));
  }
  if (config.sessions.backoff.initialMs > config.sessions.backoff.maxMs) {
    out.push(source.problem(['sessions', 'backoff', 'initial'], 'sessions.backoff.initial: must not exceed sessions.backoff.max', 'duration'));
  }
  if (config.delivery.retryInitialMs > config.delivery.retryMaxMs) {
    out.push(source.problem(['delivery', 'retry', 'initial'], 'delivery.retry.initial: must not exceed delivery.retry.max', 'duration'));
  }
  config.silences.forEach((s, i) => {
    if (s.until <= now) {
      out.push(source.problem(['silences', i, 'until'], `silences[${i}]: expired at ${new Date(s.until).toISOString()}; it is ignored (remove it)`, 'silence-expired', { severity: 'warning' }));
    }
  });
  return out;
}

/** URLs are checked even when the schema failed elsewhere, so one run shows every problem. */
function urlProblems(raw: RawConfig, source: YamlSource): Problem[] {
  const out: Problem[] = [];
  const check = (url: unknown, at: (string | number)[]) => {
    // Never echo the URL: it is usually a secret (Slack webhook, token in query).
    if (typeof url === 'string' && !isHttpUrl(url)) out.push(source.problem(at, `${at.join('.')}: not a valid http(s) URL`, 'url'));
  };
  if (raw && typeof raw === 'object') {
    for (const [name, d] of Object.entries(raw.destinations ?? {})) {
      if (!d || typeof d !== 'object') continue;
      check(d['url'], ['destinations', name, 'url']);
      if (Array.isArray(d['peers'])) d['peers'].forEach((peer, i) => check(peer, ['destinations', name, 'peers', i]));
      if (d['url'] !== undefined && d['peers'] !== undefined) out.push(source.problem(['destinations', name, 'peers'], `destinations.${name}: give either url or peers, not both`, 'url'));
    }
    const heartbeat = raw.heartbeat?.url;
    check(heartbeat, ['heartbeat', 'url']);
    // The ping is a fetch(), which refuses URLs with credentials (every ping would fail with a bare TypeError).
    if (typeof heartbeat === 'string' && isHttpUrl(heartbeat) && hasCredentials(heartbeat)) {
      out.push(source.problem(['heartbeat', 'url'], 'heartbeat.url: a user name or password in the URL (user:pass@host) is not supported: the ping cannot send it; put the token in the path or query', 'url'));
    }
  }
  return out;
}

function hasCredentials(text: string): boolean {
  const u = new URL(text);
  return u.username !== '' || u.password !== '';
}

/**
 * Destination headers that Node's HTTP client would refuse at send time: names
 * that are not HTTP tokens, values with CR, LF or other control characters (or
 * characters beyond U+00FF). Names are shown; values never (they hold tokens).
 */
function headerProblems(raw: RawConfig, source: YamlSource): Problem[] {
  const out: Problem[] = [];
  if (!raw || typeof raw !== 'object' || !raw.destinations || typeof raw.destinations !== 'object') return out;
  for (const [dest, d] of Object.entries(raw.destinations)) {
    const headers = d && typeof d === 'object' ? d['headers'] : undefined;
    if (!headers || typeof headers !== 'object' || Array.isArray(headers)) continue;
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
      const at = ['destinations', dest, 'headers', name];
      try {
        validateHeaderName(name);
      } catch {
        out.push(source.problem(at, `destinations.${dest}.headers: ${JSON.stringify(name)} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`, 'header', { at: 'key' }));
        continue;
      }
      if (typeof value !== 'string') continue;
      try {
        validateHeaderValue(name, value);
      } catch {
        out.push(source.problem(at, `destinations.${dest}.headers.${name}: the value contains a character an HTTP header cannot carry (a line break, another control character, or one beyond U+00FF)`, 'header'));
      }
    }
  }
  return out;
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
