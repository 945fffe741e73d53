/**
 * The SDK client factory. A loopback endpoint (the emulator) with no
 * AWS_ACCESS_KEY_ID in the environment gets static placeholder credentials,
 * so demos and tests need no AWS account; anything else uses the SDK's
 * default chain (with `aws.profile` when set). A source with `roleArn` assumes
 * that role through the SDK's own `fromTemporaryCredentials`, from those base
 * credentials; the client refreshes them before they expire. `disableHostPrefix`
 * is needed for any custom endpoint (StartLiveTail otherwise goes to `stream-<host>`).
 */
import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { AssumeRoleError } from './errors.js';
import type { SessionClients } from './session.js';
import type { Config } from '../model/config.js';

export type AwsSettings = Config['aws'];

export function isLoopbackEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface ClientOptions {
  readonly aws: AwsSettings;
  readonly region: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** 1 for StartLiveTail (the supervisor owns retries); SDK default otherwise. */
  readonly maxAttempts?: number | undefined;
  /** Credentials instead of the decision above (tests: a provider that answers differently when asked again). */
  readonly credentials?: CloudWatchLogsClientConfig['credentials'] | undefined;
}

/** The credentials a loopback endpoint gets when AWS_ACCESS_KEY_ID is not set. */
export const PLACEHOLDER_CREDENTIALS = { accessKeyId: 'AKIDTAILWATCHLOCAL', secretAccessKey: 'tailwatch-local-placeholder' } as const;

/** The session name of a role assumed without `sessionName`: says who assumed it (CloudTrail shows it). */
export const DEFAULT_ROLE_SESSION_NAME = 'tailwatch';

export function createLogsClient(opts: ClientOptions): CloudWatchLogsClient {
  const env = opts.env ?? process.env;
  const cfg: CloudWatchLogsClientConfig = { region: opts.region };
  if (opts.maxAttempts !== undefined) cfg.maxAttempts = opts.maxAttempts;
  if (opts.aws.endpoint) {
    cfg.endpoint = opts.aws.endpoint;
    cfg.disableHostPrefix = true;
    if (isLoopbackEndpoint(opts.aws.endpoint) && !env['AWS_ACCESS_KEY_ID']) cfg.credentials = { ...PLACEHOLDER_CREDENTIALS };
  }
  if (opts.credentials) cfg.credentials = opts.credentials;
  if (opts.aws.roleArn) cfg.credentials = roleCredentials(opts.aws, opts.region, cfg.credentials);
  if (!cfg.credentials && opts.aws.profile) cfg.profile = opts.aws.profile;
  return new CloudWatchLogsClient(cfg);
}

/**
 * The role's temporary credentials: STS AssumeRole signed with the base credentials (`base`
 * when decided above, else the profile through fromIni, else the default chain), in the
 * source's region and at its endpoint (the emulator answers STS too).
 */
function roleCredentials(aws: AwsSettings, region: string, base: CloudWatchLogsClientConfig['credentials']): NonNullable<CloudWatchLogsClientConfig['credentials']> {
  const masterCredentials = base ?? (aws.profile ? fromIni({ profile: aws.profile }) : fromNodeProviderChain());
  const roleArn = aws.roleArn!;
  const assume = fromTemporaryCredentials({
    params: {
      RoleArn: roleArn,
      RoleSessionName: aws.roleSessionName ?? DEFAULT_ROLE_SESSION_NAME,
      ...(aws.externalId !== undefined ? { ExternalId: aws.externalId } : {}),
      ...(aws.roleDurationMs !== undefined ? { DurationSeconds: Math.round(aws.roleDurationMs / 1000) } : {}),
    },
    masterCredentials,
    clientConfig: { region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) },
  });
  // The failure names the role, so a log line says which source's role was refused.
  return async (props) => {
    try {
      return await assume(props);
    } catch (err) {
      throw new AssumeRoleError(roleArn, err);
    }
  };
}

/** One client per region and purpose, destroyed together. */
export class ClientPool {
  private readonly clients = new Map<string, CloudWatchLogsClient>();
  /** Clients replaced by `refresh` (other sessions may still stream on them): destroyed with the pool. */
  private readonly retired: CloudWatchLogsClient[] = [];
  constructor(
    private readonly aws: AwsSettings,
    private readonly env?: Readonly<Record<string, string | undefined>>,
    private readonly credentials?: CloudWatchLogsClientConfig['credentials'],
  ) {}
  /** `live`: maxAttempts 1 (StartLiveTail); `api`: SDK retries (FilterLogEvents, DescribeLogGroups). */
  get(region: string, purpose: 'live' | 'api'): CloudWatchLogsClient {
    const key = `${purpose}:${region}`;
    let c = this.clients.get(key);
    if (!c) {
      c = createLogsClient({ aws: this.aws, region, env: this.env, maxAttempts: purpose === 'live' ? 1 : undefined, credentials: this.credentials });
      this.clients.set(key, c);
    }
    return c;
  }
  /**
   * New clients for the region, whose credential chain is read anew (a client keeps the
   * credentials it resolved until they say they expire). `stale`: the clients that were refused;
   * when another session refreshed them already, its new ones are returned, so sessions refused
   * together make one set of new clients.
   */
  refresh(region: string, stale: SessionClients): SessionClients {
    const live = this.clients.get(`live:${region}`);
    const api = this.clients.get(`api:${region}`);
    if (live === stale.live && api === stale.api) {
      for (const c of [live, api]) if (c) this.retired.push(c);
      this.clients.delete(`live:${region}`);
      this.clients.delete(`api:${region}`);
    }
    return { live: this.get(region, 'live'), api: this.get(region, 'api') };
  }

  destroy(): void {
    for (const c of [...this.clients.values(), ...this.retired]) c.destroy();
    this.clients.clear();
    this.retired.length = 0;
  }
}
