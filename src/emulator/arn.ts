/** Log group ARNs: `arn:<partition>:logs:<region>:<account>:log-group:<name>` (DescribeLogGroups' `arn` adds `:*`). */
export interface LogGroupArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly logGroupName: string;
}

const ARN = /^arn:(aws[a-z-]*):logs:([a-z0-9-]+):(\d{12}):log-group:(.+)$/;

export function parseLogGroupArn(text: string): LogGroupArn | undefined {
  const m = ARN.exec(text);
  if (!m) return undefined;
  return { partition: m[1]!, region: m[2]!, accountId: m[3]!, logGroupName: m[4]! };
}

export function formatLogGroupArn(a: LogGroupArn): string {
  return `arn:${a.partition}:logs:${a.region}:${a.accountId}:log-group:${a.logGroupName}`;
}

export function isArnLike(text: string): boolean {
  return text.startsWith('arn:');
}
