/**
 * The SDK client factory. A loopback endpoint (the emulator) with no
 * AWS_ACCESS_KEY_ID in the environment gets static placeholder credentials,
 * so demos and tests need no AWS account; anything else uses the SDK's
 * default chain (with `aws.profile` when set). `disableHostPrefix` is needed
 * for any custom endpoint (StartLiveTail otherwise goes to `stream-<host>`).
 */
import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import type { Config } from '../config/model.js';

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
}

export function createLogsClient(opts: ClientOptions): CloudWatchLogsClient {
  const env = opts.env ?? process.env;
  const cfg: CloudWatchLogsClientConfig = { region: opts.region };
  if (opts.maxAttempts !== undefined) cfg.maxAttempts = opts.maxAttempts;
  if (opts.aws.endpoint) {
    cfg.endpoint = opts.aws.endpoint;
    cfg.disableHostPrefix = true;
    if (isLoopbackEndpoint(opts.aws.endpoint) && !env['AWS_ACCESS_KEY_ID']) {
      cfg.credentials = { accessKeyId: 'AKIDTAILWATCHLOCAL', secretAccessKey: 'tailwatch-local-placeholder' };
    }
  }
  if (!cfg.credentials && opts.aws.profile) cfg.profile = opts.aws.profile;
  return new CloudWatchLogsClient(cfg);
}

/** One client per region and purpose, destroyed together. */
export class ClientPool {
  private readonly clients = new Map<string, CloudWatchLogsClient>();
  constructor(private readonly aws: AwsSettings, private readonly env?: Readonly<Record<string, string | undefined>>) {}
  /** `live`: maxAttempts 1 (StartLiveTail); `api`: SDK retries (FilterLogEvents, DescribeLogGroups). */
  get(region: string, purpose: 'live' | 'api'): CloudWatchLogsClient {
    const key = `${purpose}:${region}`;
    let c = this.clients.get(key);
    if (!c) {
      c = createLogsClient({ aws: this.aws, region, env: this.env, maxAttempts: purpose === 'live' ? 1 : undefined });
      this.clients.set(key, c);
    }
    return c;
  }
  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
