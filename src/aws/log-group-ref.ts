/**
 * One identity for a log group: `arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME`
 * (DescribeLogGroups' `arn` adds `:*`). Every stage that needs a part of a log group
 * identifier — its name, region, account, partition — reads it here, so the ARN
 * grammar and the partitions (`aws`, `aws-cn`, `aws-us-gov`) live in one place.
 */

/** A log group ARN taken apart (`:*` dropped). */
export interface LogGroupRef {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

/** What a rule may write as a log group ARN (names: `[.\-_/#A-Za-z0-9]`; `:*` allowed). */
export const LOG_GROUP_ARN = /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[.\-_/#A-Za-z0-9]+(:\*)?$/;
/** A log group name as the API takes it. */
export const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

const ARN = /^arn:(aws[a-z-]*):logs:([a-z0-9-]+):(\d{12}):log-group:(.+)$/;

/** The parts of a log group ARN (`:*` dropped), or undefined when it is not one. */
export function parseLogGroupArn(text: string): LogGroupRef | undefined {
  const m = ARN.exec(text);
  if (!m) return undefined;
  return { partition: m[1]!, region: m[2]!, account: m[3]!, name: stripStar(m[4]!) };
}

/** The ARN of a log group (without `:*`). */
export function formatLogGroupArn(ref: LogGroupRef): string {
  return `arn:${ref.partition}:logs:${ref.region}:${ref.account}:log-group:${ref.name}`;
}

/** The ARN of a log group named in an account and region (the partition from the region). */
export function logGroupArn(region: string, account: string, name: string): string {
  return formatLogGroupArn({ partition: partitionOf(region), region, account, name });
}

/** `arn:…` (well formed or not): an identifier meant as an ARN, not a name. */
export function isArnLike(identifier: string): boolean {
  return identifier.startsWith('arn:');
}

/** An ARN without its trailing `:*`. */
export function stripStar(identifier: string): string {
  return identifier.endsWith(':*') ? identifier.slice(0, -2) : identifier;
}

/**
 * A rule's log group as every stage sees it: an ARN without the one trailing `:*` the
 * console and IAM show (`…:log-group:/app:*` → `…:log-group:/app`); a name as written.
 */
export function ruleLogGroup(written: string): string {
  return isArnLike(written) ? stripStar(written) : written;
}

/**
 * The log group name in a result's or rule's identifier: `arn:aws:logs:r:a:log-group:/x`
 * (also with `:*`) → `/x`; `123456789012:/x` (the form the service is reported to
 * echo in Live Tail results) → `/x`; names pass through (they cannot contain `:`).
 */
export function logGroupNameOf(identifier: string): string {
  if (!isArnLike(identifier)) {
    const colon = identifier.lastIndexOf(':');
    return colon < 0 ? identifier : identifier.slice(colon + 1);
  }
  const at = identifier.indexOf(':log-group:');
  if (at < 0) return identifier;
  return stripStar(identifier.slice(at + ':log-group:'.length));
}

/** The region part of an ARN-like identifier, or undefined for a name. */
export function arnRegion(identifier: string): string | undefined {
  if (!isArnLike(identifier)) return undefined;
  const parts = identifier.split(':');
  return parts.length >= 6 && parts[3] !== '' ? parts[3] : undefined;
}

/** The ARN partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, `aws` elsewhere. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The AWS console's origin for a region: `https://REGION.console.aws.amazon.com` in the
 * commercial partition; China and GovCloud have their own console hosts
 * (`console.amazonaws.cn`, `console.amazonaws-us-gov.com`), the region picked by `?region=`.
 */
export function consoleOrigin(region: string, partition = partitionOf(region)): string {
  if (partition === 'aws-cn') return 'https://console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/**
 * A rule's log group as written, taken apart once when the rules load: an ARN (without
 * `:*`) with its region, account and partition, or a name (in its source's region).
 */
export interface LogGroupTarget {
  readonly written: string;
  /** The group's name (of an ARN: the name in it). */
  readonly name: string;
  /** ARN-like: the ARN without `:*`; undefined for a name. */
  readonly arn?: string | undefined;
  /** Of an ARN: its region (also of an ARN not otherwise well formed), account and partition. */
  readonly region?: string | undefined;
  readonly account?: string | undefined;
  readonly partition?: string | undefined;
}

export function logGroupTarget(written: string): LogGroupTarget {
  if (!isArnLike(written)) return { written, name: written };
  const arn = ruleLogGroup(written);
  const ref = parseLogGroupArn(arn);
  return { written, name: logGroupNameOf(arn), arn, region: arnRegion(arn), account: ref?.account, partition: ref?.partition };
}

/** A rule source's targets: parsed when the rules loaded, or now (a rule built by hand). */
export function logGroupTargets(source: { readonly logGroups: readonly string[]; readonly targets?: readonly LogGroupTarget[] | undefined }): readonly LogGroupTarget[] {
  return source.targets ?? source.logGroups.map(logGroupTarget);
}
