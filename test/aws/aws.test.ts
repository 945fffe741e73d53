import { describe, expect, it } from 'vitest';
import { formatLogGroupArn, LOG_GROUP_ARN, logGroupArn, logGroupNameOf, parseLogGroupArn, partitionOf, stableJson } from '../../src/aws/index.js';

describe('a log group ARN is taken apart in one place', () => {
  it('reads partition, region, account and name, dropping :*', () => {
    expect(parseLogGroupArn('arn:aws-cn:logs:cn-north-1:123456789012:log-group:/ecs/x:*')).toEqual({ partition: 'aws-cn', region: 'cn-north-1', account: '123456789012', name: '/ecs/x' });
    expect(parseLogGroupArn('arn:aws:logs:eu-west-1:12345:log-group:/x')).toBeUndefined();
    expect(parseLogGroupArn('/ecs/x')).toBeUndefined();
  });

  it('builds the ARN of a name in an account and region with the partition of the region', () => {
    expect(logGroupArn('us-gov-west-1', '123456789012', '/a')).toBe('arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/a');
    expect(logGroupArn('cn-northwest-1', '123456789012', '/a')).toBe('arn:aws-cn:logs:cn-northwest-1:123456789012:log-group:/a');
    expect(partitionOf('eu-west-1')).toBe('aws');
    const ref = parseLogGroupArn('arn:aws-us-gov:logs:us-gov-east-1:123456789012:log-group:/a')!;
    expect(formatLogGroupArn(ref)).toBe('arn:aws-us-gov:logs:us-gov-east-1:123456789012:log-group:/a');
  });

  it('accepts ARNs of every partition in rules', () => {
    for (const p of ['aws', 'aws-cn', 'aws-us-gov']) expect(LOG_GROUP_ARN.test(`arn:${p}:logs:r-1:123456789012:log-group:/a`)).toBe(true);
    expect(LOG_GROUP_ARN.test('arn:gcp:logs:r-1:123456789012:log-group:/a')).toBe(false);
  });

  it('names a group from any identifier form', () => {
    expect(logGroupNameOf('arn:aws-cn:logs:cn-north-1:123456789012:log-group:/x:*')).toBe('/x');
    expect(logGroupNameOf('123456789012:/x')).toBe('/x');
  });
});

describe('stable JSON', () => {
  it('sorts keys at every depth and leaves undefined members out', () => {
    expect(stableJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"z":1}]},"b":1}');
  });
});
