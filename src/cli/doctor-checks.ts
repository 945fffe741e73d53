/**
 * The checks of `tailwatch doctor`, against the configured account (the
 * emulator in tests): credentials and whose they are, the region, every log
 * group (exists: DescribeLogGroups; readable: FilterLogEvents of the last
 * minute), the plan and its monthly cost, with `live` each planned Live Tail
 * session opened once, every destination (doctor-destinations.ts: resolves and accepts a
 * connection; nothing is sent), and clock skew against the `Date` header of
 * the service's responses. Each check is `ok`, `warn` or `fail` with what to
 * do. Secrets never reach a result: the access key id shows its last 4
 * characters, destinations their host and port (the path and query of a
 * webhook URL are its token).
 *
 * "Whose credentials": GetCallerIdentity is not called, so the account is
 * `aws.accountId` or the account of the ARNs DescribeLogGroups returns for
 * the groups named by name; both are compared when both are known.
 */
import { isArnLike, logGroupNameOf, logGroupTargets, parseLogGroupArn } from '../aws/index.js';
import { DescribeLogGroupsCommand, FilterLogEventsCommand, StartLiveTailCommand, type CloudWatchLogsClient, type StartLiveTailCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import type { Config, RuleSet } from '../model/config.js';
import { accountArnResolver, classifyError, createLogsClient, describeError, planSessions, type ArnResolver } from '../livetail/index.js';
import { groupRefusalText, type SessionSpec } from '../livetail/spec.js';
import { credentialCheck, describeCredentialSource, endpointText, regionChecks } from './doctor-account.js';
import { checkDestination } from './doctor-destinations.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** What was checked: credentials, region, log-group, plan, live-tail, destination, clock. */
  readonly check: string;
  /** Which one (a log group, a destination, a session, a region). */
  readonly subject?: string | undefined;
  readonly status: CheckStatus;
  readonly message: string;
  /** What to do about a warn or fail. */
  readonly fix?: string | undefined;
  /** The source (account and region) checked, when the config has several. */
  readonly source?: string | undefined;
}

export interface DoctorOptions {
  readonly config: Config;
  readonly ruleSet: RuleSet;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Open each planned Live Tail session once (billed per session-minute). */
  readonly live: boolean;
  /** Epoch ms, local clock. Default Date.now. */
  readonly now?: (() => number) | undefined;
  /** Per network call. Default 10 s. */
  readonly timeoutMs?: number | undefined;
  /** Check the destinations too (default true; once per run when several sources are checked). */
  readonly destinations?: boolean | undefined;
}

/** Clock skew the service refuses signatures at (SigV4). */
const SIGV4_SKEW_MS = 5 * 60_000;
const FILTER_PAGES = 5;
const GROUP_CONCURRENCY = 4;

/** The exclusion reason of a group a check above found missing or denied. */
const BAD_GROUP = 'failed its check above';

interface GroupRef {
  readonly region: string;
  /** As the rules name it: a name, or an ARN. */
  readonly identifier: string;
  readonly rules: string[];
}

interface GroupOutcome {
  /** The ARN DescribeLogGroups gave for a name (or the ARN the rule names). */
  arn?: string | undefined;
  missing?: boolean;
  denied?: boolean;
}

/** The Date header of the service's last response, and when the request went out and the answer came. */
interface DateSample {
  readonly date: number;
  readonly sentAt: number;
  readonly receivedAt: number;
}

export async function runDoctor(opts: DoctorOptions): Promise<CheckResult[]> {
  const { config, ruleSet, env } = opts;
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const results: CheckResult[] = [];
  const clients = new Map<string, CloudWatchLogsClient>();
  let dateSample: DateSample | undefined;
  const clientFor = (region: string, purpose: 'api' | 'live' = 'api'): CloudWatchLogsClient => {
    const key = `${purpose}:${region}`;
    let c = clients.get(key);
    if (!c) {
      c = createLogsClient({ aws: config.aws, region, env, maxAttempts: purpose === 'live' ? 1 : 2 });
      // The service's Date header (Node and AWS set it on every response, errors included), for the clock check.
      c.middlewareStack.add(
        (next) => async (args) => {
          const sentAt = now();
          const out = await next(args);
          const headers = (out.response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
          const date = headers?.['date'] ? Date.parse(headers['date']) : NaN;
          if (Number.isFinite(date)) dateSample = { date, sentAt, receivedAt: now() };
          return out;
        },
        { step: 'deserialize', priority: 'low', name: 'tailwatchDoctorDate' },
      );
      clients.set(key, c);
    }
    return c;
  };
  const signal = (): AbortSignal => AbortSignal.timeout(timeoutMs);

  try {
    // --- which groups, in which regions
    const groups = new Map<string, GroupRef>();
    const noRegion: string[] = [];
    for (const rule of ruleSet.rules) {
      if (!rule.enabled) continue;
      for (const t of logGroupTargets(rule.source)) {
        const identifier = t.arn ?? t.written;
        const region = t.arn !== undefined ? (t.account !== undefined ? t.region : undefined) : (rule.source.region ?? config.aws.region);
        if (!region) {
          noRegion.push(rule.id);
          continue;
        }
        const key = `${region}\n${identifier}`;
        const ref = groups.get(key) ?? { region, identifier, rules: [] };
        if (!ref.rules.includes(rule.id)) ref.rules.push(rule.id);
        groups.set(key, ref);
      }
    }
    const regions = [...new Set([...groups.values()].map((g) => g.region))].sort();

    // --- region
    results.push(...regionChecks(config, env, regions, noRegion));

    // --- credentials resolve (the first region's client: the chain is the same for every region)
    const credentialSource = describeCredentialSource(config, env);
    let credentials: { accessKeyId: string; sessionToken?: string | undefined; expiration?: Date | undefined } | undefined;
    let credentialError: string | undefined;
    if (regions.length > 0 || config.aws.region) {
      try {
        const provider = clientFor(regions[0] ?? config.aws.region!).config.credentials;
        credentials = await provider();
      } catch (err) {
        credentialError = describeError(err);
      }
    }

    // --- every log group: exists (DescribeLogGroups for names), readable (FilterLogEvents, last minute)
    const outcomes = new Map<string, GroupOutcome>();
    const unreachable = new Map<string, string>();
    const accountsSeen = new Map<string, string>();
    if (credentials) {
      const queue = [...groups.entries()];
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [key, ref] = next;
          const blocked = unreachable.get(ref.region);
          if (blocked !== undefined) continue;
          const { result, outcome, unreachableBecause, account } = await checkGroup(ref, config, clientFor(ref.region), signal, now);
          if (unreachableBecause === undefined) outcomes.set(key, outcome);
          if (account) accountsSeen.set(ref.region, account);
          if (unreachableBecause !== undefined && !unreachable.has(ref.region)) {
            unreachable.set(ref.region, unreachableBecause);
            results.push({
              check: 'api',
              subject: ref.region,
              status: 'fail',
              message: `cannot reach CloudWatch Logs in ${ref.region}${config.aws.endpoint ? ` at ${endpointText(config.aws.endpoint)}` : ''}: ${unreachableBecause}`,
              fix: config.aws.endpoint ? 'check aws.endpoint (is the emulator or proxy running?)' : 'check the network path to AWS (proxy, VPC endpoint, DNS)',
            });
          }
          if (result) results.push(result);
        }
      };
      await Promise.all(Array.from({ length: Math.min(GROUP_CONCURRENCY, queue.length) }, worker));
      for (const ref of groups.values()) {
        const why = unreachable.get(ref.region);
        if (why !== undefined && !outcomes.has(`${ref.region}\n${ref.identifier}`)) {
          results.push({ check: 'log-group', subject: logGroupNameOf(ref.identifier), status: 'fail', message: `log group ${logGroupNameOf(ref.identifier)} in ${ref.region}: not checked (CloudWatch Logs unreachable)`, fix: 'fix the api line above, then run doctor again' });
        }
      }
    }

    // --- credentials, and whose they are
    results.unshift(credentialCheck({ config, credentialSource, credentials, credentialError, accountsSeen, now }));

    // --- the plan and its monthly cost (the ARNs the daemon would use; groups found missing are left out as it would)
    const resolver: ArnResolver = config.aws.accountId
      ? accountArnResolver(config.aws.accountId)
      : (region, name) => {
          const o = outcomes.get(`${region}\n${name}`);
          if (o?.arn) return o.arn;
          return { unresolved: groupRefusalText(name, region, 'not-found', accountsSeen.get(region)) };
        };
    // Groups found missing or denied are left out, as the daemon leaves them out once refused.
    const bad = new Set<string>();
    for (const [key, o] of outcomes) {
      if (!o.missing && !o.denied) continue;
      const [region, identifier] = key.split('\n') as [string, string];
      bad.add(`${region}\n${isArnLike(identifier) ? identifier : typeof resolver(region, identifier) === 'string' ? resolver(region, identifier) : identifier}`);
    }
    const plan = planSessions(ruleSet, config, resolver, { exclude: (region, arn) => (bad.has(`${region}\n${arn}`) ? BAD_GROUP : undefined) });
    const price = config.sessions.pricePerMinute;
    const n = plan.sessions.length;
    // Polled rules: no session, FilterLogEvents every interval within the account's budget (backfills and completions first).
    const pollCalls = Math.round(plan.polls.reduce((sum, p) => sum + p.callsPerMinute, 0) * 100) / 100;
    const budgetPerMinute = (config.aws.filterLogEventsPerSecond ?? 5) * 60;
    const pollText = plan.polls.length > 0 ? `, ${plan.polls.length} poll${plan.polls.length === 1 ? '' : 's'} of polled rules (${pollCalls} FilterLogEvents calls/minute of ${budgetPerMinute})` : '';
    const planText = `${n} Live Tail session${n === 1 ? '' : 's'} (strategy ${config.sessions.strategy}), $${plan.monthlyCost.toFixed(2)}/month at $${price} per session-minute${pollText}`;
    // Rules that wait only for the log groups failed above are said so; anything else unplaced fails here.
    const onlyBadGroups = (reason: string): boolean => reason.split('; ').every((r) => r.endsWith(BAD_GROUP) || r.includes(' not found in '));
    const waiting = [...plan.unplaced, ...plan.partlyServed].filter((u) => onlyBadGroups(u.reason)).map((u) => u.rule);
    const unplaced = plan.unplaced.filter((u) => !onlyBadGroups(u.reason));
    const waitText = waiting.length > 0 ? `; ${[...new Set(waiting)].sort().join(', ')} wait${waiting.length === 1 ? 's' : ''} for the log groups above` : '';
    if (unplaced.length > 0) {
      results.push({ check: 'plan', status: 'fail', message: `${planText}; rules without a session: ${unplaced.map((u) => `${u.rule} (${u.reason})`).join('; ')}${waitText}`, fix: 'tailwatch plan shows why (sessions.maxConcurrent, sessions.strategy)' });
    } else {
      results.push({ check: 'plan', status: 'ok', message: `${planText}${waitText}; tailwatch plan shows each session` });
    }

    if (pollCalls > budgetPerMinute / 2) {
      results.push({
        check: 'polls',
        status: 'warn',
        message: `polled rules need ${pollCalls} FilterLogEvents calls/minute, over half of the ${budgetPerMinute} a minute aws.filterLogEventsPerSecond allows: backfills and completions go first, so polls may fall behind (tailwatch_poll_overruns_total)`,
        fix: 'poll less often (feed.poll), or raise aws.filterLogEventsPerSecond if your account quota allows',
      });
    }

    // --- Live Tail itself, only when asked: a session is billed per minute
    if (opts.live && credentials) {
      for (const s of plan.sessions) {
        if (unreachable.has(s.region)) continue;
        results.push(await checkLiveTail(s, clientFor(s.region, 'live'), timeoutMs));
      }
    }

    // --- destinations: resolve and connect, send nothing
    if (opts.destinations !== false) for (const [name, dest] of Object.entries(config.destinations)) results.push(...(await checkDestination(name, dest, timeoutMs)));

    // --- clock skew against the service's Date header
    results.push(clockCheck(dateSample, config.sessions.graceMs));
    return results;
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}

async function checkGroup(
  ref: GroupRef,
  config: Config,
  client: CloudWatchLogsClient,
  signal: () => AbortSignal,
  now: () => number,
): Promise<{ result?: CheckResult; outcome: GroupOutcome; unreachableBecause?: string; account?: string }> {
  const name = logGroupNameOf(ref.identifier);
  const rules = `rules: ${ref.rules.join(', ')}`;
  const byArn = isArnLike(ref.identifier);
  let arn: string | undefined = byArn ? ref.identifier : config.aws.accountId ? (accountArnResolver(config.aws.accountId)(ref.region, ref.identifier) as string) : undefined;
  let account: string | undefined;
  let describeNote = '';
  // Exists: DescribeLogGroups by name (the daemon's lookup without aws.accountId). Other accounts' ARNs
  // cannot be listed so: FilterLogEvents on the ARN tells whether they exist.
  if (!byArn) {
    try {
      const found = await describeByName(client, ref.identifier, signal);
      if (found === undefined) {
        const text = groupRefusalText(ref.identifier, ref.region, 'not-found', config.aws.accountId);
        return { outcome: { missing: true }, result: { check: 'log-group', subject: name, status: 'fail', message: text, fix: `check the name and the region, or create the group (${rules})` } };
      }
      account = parseLogGroupArn(found)?.account;
      if (!config.aws.accountId) arn = found;
    } catch (err) {
      const reason = classifyError(err);
      if (reason === 'access-denied') {
        if (!config.aws.accountId) {
          return { outcome: { denied: true }, result: { check: 'log-group', subject: name, status: 'fail', message: `log group ${name} in ${ref.region}: logs:DescribeLogGroups denied (${describeError(err)}), which run needs to find its ARN without aws.accountId`, fix: `set aws.accountId, or attach the policy tailwatch iam-policy prints (${rules})` } };
        }
        describeNote = '; existence not listed (logs:DescribeLogGroups denied, which run does not need with aws.accountId)';
      } else if (reason === 'connection' || reason === 'unavailable' || reason === 'throttled') {
        return { outcome: {}, unreachableBecause: describeError(err) };
      } else {
        return { outcome: {}, result: { check: 'log-group', subject: name, status: 'fail', message: `log group ${name} in ${ref.region}: DescribeLogGroups failed: ${describeError(err)}`, fix: rules } };
      }
    }
  }
  // Readable: FilterLogEvents over the last minute (what backfill, completion and the polls of polled rules call), counting what it finds.
  const t = now();
  let events = 0;
  let more = false;
  try {
    let nextToken: string | undefined;
    for (let page = 0; page < FILTER_PAGES; page++) {
      const res = await client.send(new FilterLogEventsCommand({ logGroupIdentifier: arn ?? ref.identifier, startTime: t - 60_000, endTime: t, nextToken }), { abortSignal: signal() });
      events += res.events?.length ?? 0;
      nextToken = res.nextToken;
      if (!nextToken) break;
      more = page === FILTER_PAGES - 1;
    }
  } catch (err) {
    const reason = classifyError(err);
    const where = arn ?? ref.identifier;
    if (reason === 'not-found') {
      return { outcome: { missing: true }, account, result: { check: 'log-group', subject: name, status: 'fail', message: groupRefusalText(where, ref.region, 'not-found', account ?? parseLogGroupArn(where)?.account), fix: `check the name, the region and aws.accountId, or create the group (${rules})` } };
    }
    if (reason === 'access-denied') {
      return { outcome: { denied: true, arn }, account, result: { check: 'log-group', subject: name, status: 'fail', message: `${groupRefusalText(where, ref.region, 'access-denied', account ?? parseLogGroupArn(where)?.account)}: logs:FilterLogEvents (${describeError(err)})`, fix: `attach the policy tailwatch iam-policy prints to the role tailwatch runs as (${rules})` } };
    }
    if (reason === 'connection' || reason === 'unavailable' || reason === 'throttled') return { outcome: { arn }, account, unreachableBecause: describeError(err) };
    return { outcome: { arn }, account, result: { check: 'log-group', subject: name, status: 'fail', message: `log group ${name} in ${ref.region}: FilterLogEvents failed: ${describeError(err)}`, fix: rules } };
  }
  const acct = account ?? (arn ? parseLogGroupArn(arn)?.account : undefined);
  const count = `${more ? 'more than ' : ''}${events} event${events === 1 ? '' : 's'} in the last minute`;
  return { outcome: { arn }, account, result: { check: 'log-group', subject: name, status: 'ok', message: `log group ${name} in ${ref.region}${acct ? ` (account ${acct})` : ''}: exists, readable, ${count}${describeNote}` } };
}

/** The group's ARN (without `:*`) as DescribeLogGroups lists it, or undefined when there is none of that exact name. */
async function describeByName(client: CloudWatchLogsClient, name: string, signal: () => AbortSignal): Promise<string | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, nextToken }), { abortSignal: signal() });
    for (const g of res.logGroups ?? []) {
      if (g.logGroupName !== name) continue;
      const arn = g.logGroupArn ?? g.arn;
      if (arn) return arn.endsWith(':*') ? arn.slice(0, -2) : arn;
    }
    nextToken = res.nextToken;
    if (!nextToken) return undefined;
  }
  return undefined;
}

/** Opens the session, waits for its start, closes it (one billed session-minute at most). */
async function checkLiveTail(s: SessionSpec, client: CloudWatchLogsClient, timeoutMs: number): Promise<CheckResult> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const groups = s.params.logGroupIdentifiers.map(logGroupNameOf).join(', ');
  try {
    const p = s.params;
    const input: StartLiveTailCommandInput = { logGroupIdentifiers: [...p.logGroupIdentifiers] };
    if (p.logStreamNames) input.logStreamNames = [...p.logStreamNames];
    if (p.logStreamNamePrefixes) input.logStreamNamePrefixes = [...p.logStreamNamePrefixes];
    if (p.logEventFilterPattern !== undefined) input.logEventFilterPattern = p.logEventFilterPattern;
    const res = await client.send(new StartLiveTailCommand(input), { abortSignal: ctrl.signal });
    for await (const frame of res.responseStream ?? []) if (frame.sessionStart) break;
    return { check: 'live-tail', subject: s.id, status: 'ok', message: `session ${s.id} (${groups}) started, then closed` };
  } catch (err) {
    if (ctrl.signal.aborted) return { check: 'live-tail', subject: s.id, status: 'fail', message: `session ${s.id} (${groups}): no sessionStart within ${Math.round(timeoutMs / 1000)} s`, fix: 'check the network path to AWS; tailwatch run retries it' };
    const reason = classifyError(err);
    const fix = reason === 'access-denied' ? 'allow logs:StartLiveTail on these groups (tailwatch iam-policy)' : reason === 'limit-exceeded' ? 'other Live Tail sessions use the quota (15 per account and region): close them or lower sessions.maxConcurrent' : 'see the log group lines above';
    return { check: 'live-tail', subject: s.id, status: 'fail', message: `session ${s.id} (${groups}) refused: ${reason} (${describeError(err)})`, fix };
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
}

/**
 * Local clock against the service's `Date` header (whole seconds, so the service's time lies in
 * [date, date + 1 s) at some moment between sending and receiving). SigV4 refuses requests more
 * than 5 minutes off; a clock ahead by more than `sessions.grace` makes events look late.
 */
export function clockCheck(sample: DateSample | undefined, graceMs: number): CheckResult {
  if (!sample) return { check: 'clock', status: 'warn', message: 'not checked: no response from CloudWatch Logs carried a Date header', fix: 'fix the checks above, then run doctor again' };
  const mid = (sample.sentAt + sample.receivedAt) / 2;
  const skew = mid - (sample.date + 500);
  const error = (sample.receivedAt - sample.sentAt) / 2 + 500;
  const beyond = Math.max(0, Math.abs(skew) - error);
  const dir = skew >= 0 ? 'ahead of' : 'behind';
  const text = `local clock ${(Math.abs(skew) / 1000).toFixed(1)} s ${dir} CloudWatch Logs (±${(error / 1000).toFixed(1)} s, from its Date header)`;
  const fix = 'sync the clock (chrony, systemd-timesyncd: timedatectl status)';
  if (beyond >= SIGV4_SKEW_MS) return { check: 'clock', status: 'fail', message: `${text}: AWS refuses signed requests more than 5 minutes off`, fix };
  const warnAt = Math.max(1_000, graceMs / 2);
  if (beyond >= warnAt) return { check: 'clock', status: 'warn', message: `${text}: events may be counted late (sessions.grace is ${graceMs / 1000} s)`, fix };
  return { check: 'clock', status: 'ok', message: text };
}
