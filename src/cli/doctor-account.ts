/**
 * `tailwatch doctor`'s account checks: the region(s) the rules use, and the
 * credentials — where they come from (environment, profile, role, the SDK's
 * chain) and whose they are. Secrets never reach a result: the access key id
 * shows its last 4 characters, an endpoint its scheme, host and port.
 */
import type { Config } from '../model/config.js';
import { isLoopbackEndpoint } from '../livetail/index.js';
import type { CheckResult } from './doctor-checks.js';

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** An endpoint as shown: scheme, host and port (never a path, query or user:password it may carry). */
export function endpointText(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return '(aws.endpoint)';
  }
}

export function regionChecks(config: Config, env: Readonly<Record<string, string | undefined>>, regions: readonly string[], noRegion: readonly string[]): CheckResult[] {
  const out: CheckResult[] = [];
  const where = config.aws.endpoint ? ` via ${endpointText(config.aws.endpoint)}${isLoopbackEndpoint(config.aws.endpoint) ? ' (a local endpoint: the emulator?)' : ''}` : '';
  if (noRegion.length > 0) {
    out.push({ check: 'region', status: 'fail', message: `no region for the log groups of ${noRegion.join(', ')}`, fix: 'set aws.region (or the rule’s source.region, or name the groups by ARN)' });
  }
  for (const r of regions) {
    if (!REGION_RE.test(r)) {
      out.push({ check: 'region', subject: r, status: 'fail', message: `"${r}" is not an AWS region name`, fix: 'use a region code such as eu-west-1 in aws.region or the rule’s source.region' });
      continue;
    }
    const from = r === config.aws.region ? 'aws.region' : 'a rule’s source.region or ARN';
    out.push({ check: 'region', subject: r, status: 'ok', message: `${r} (${from})${where}` });
  }
  if (regions.length === 0 && noRegion.length === 0) out.push({ check: 'region', status: config.aws.region ? 'ok' : 'warn', message: config.aws.region ? `${config.aws.region} (aws.region); no rule names a log group` : 'no region set and no rule names a log group', fix: config.aws.region ? undefined : 'set aws.region' });
  const envRegion = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (envRegion && config.aws.region && envRegion !== config.aws.region) {
    out.push({ check: 'region', subject: envRegion, status: 'warn', message: `${env['AWS_REGION'] ? 'AWS_REGION' : 'AWS_DEFAULT_REGION'} is ${envRegion}, but tailwatch uses aws.region ${config.aws.region}`, fix: 'set aws.region to the region of your log groups (the environment does not override it)' });
  }
  return out;
}

export function describeCredentialSource(config: Config, env: Readonly<Record<string, string | undefined>>): string {
  if (config.aws.roleArn) return `role ${config.aws.roleArn} assumed from ${describeBaseCredentials(config, env)}`;
  return describeBaseCredentials(config, env);
}

function describeBaseCredentials(config: Config, env: Readonly<Record<string, string | undefined>>): string {
  if (config.aws.endpoint && isLoopbackEndpoint(config.aws.endpoint) && !env['AWS_ACCESS_KEY_ID']) return 'placeholder credentials for a local endpoint (no AWS_ACCESS_KEY_ID set)';
  if (env['AWS_ACCESS_KEY_ID']) return 'AWS_ACCESS_KEY_ID from the environment';
  if (config.aws.profile) return `profile "${config.aws.profile}" (aws.profile)`;
  if (env['AWS_PROFILE']) return `profile "${env['AWS_PROFILE']}" (AWS_PROFILE)`;
  return 'the SDK’s default chain (web identity, SSO, container or instance role, ~/.aws)';
}

export function credentialCheck(input: {
  config: Config;
  credentialSource: string;
  credentials: { accessKeyId: string; sessionToken?: string | undefined; expiration?: Date | undefined } | undefined;
  credentialError: string | undefined;
  accountsSeen: ReadonlyMap<string, string>;
  now: () => number;
}): CheckResult {
  const { config, credentials, accountsSeen } = input;
  if (!credentials && !input.credentialError) {
    return { check: 'credentials', status: 'warn', message: 'not checked: no region to ask CloudWatch Logs in', fix: 'set aws.region' };
  }
  if (!credentials) {
    return {
      check: 'credentials',
      status: 'fail',
      message: `no credentials from ${input.credentialSource}: ${input.credentialError}`,
      fix: config.aws.roleArn
        ? `check that the base identity may sts:AssumeRole on ${config.aws.roleArn} and that the role's trust policy lets it in (its principal, and sts:ExternalId when externalId is set)`
        : 'set aws.profile or AWS_PROFILE, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance or task role',
    };
  }
  const key = credentials.accessKeyId.length > 4 ? `access key …${credentials.accessKeyId.slice(-4)}` : 'access key';
  const temporary = credentials.sessionToken ? ', temporary' : '';
  const expires = credentials.expiration ? `, expires in ${Math.max(0, Math.round((credentials.expiration.getTime() - input.now()) / 60_000))} min (refreshed by the SDK)` : '';
  const seen = [...new Set(accountsSeen.values())];
  const configured = config.aws.accountId;
  if (configured && seen.length > 0 && !seen.includes(configured)) {
    return {
      check: 'credentials',
      status: 'fail',
      message: `${input.credentialSource}, ${key}${temporary}: the log groups DescribeLogGroups lists belong to account ${seen.join(', ')}, but aws.accountId is ${configured}`,
      fix: `set aws.accountId to ${seen[0]} (run builds log group ARNs from it), or use credentials of account ${configured}`,
    };
  }
  const account = configured ? `account ${configured} (aws.accountId${seen.includes(configured) ? ', matches DescribeLogGroups' : ''})` : seen.length > 0 ? `account ${seen.join(', ')} (from DescribeLogGroups)` : 'account unknown (set aws.accountId; no log group was listed)';
  return { check: 'credentials', status: 'ok', message: `${input.credentialSource}, ${key}${temporary}${expires}; ${account}` };
}
