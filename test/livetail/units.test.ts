// Small pure pieces: error classification (by class/name/$fault, never message
// text), backoff bounds, the credentials decision, identifiers → names, dedupe.
import { CloudWatchLogsClient, LimitExceededException, SessionStreamingException, SessionTimeoutException, ThrottlingException } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { BoundedCounts, eventKey } from '../../src/livetail/dedupe.js';
import { backoffDelay, classifyError, createLogsClient, groupNameOf, isLoopbackEndpoint, policyFor } from '../../src/livetail/index.js';

describe('error classification', () => {
  it('uses the SDK exception classes and names, not the message', () => {
    const meta = { $metadata: {}, message: 'ResourceNotFoundException: timeout throttled' };
    expect(classifyError(new SessionTimeoutException(meta))).toBe('timeout');
    expect(classifyError(new SessionStreamingException(meta))).toBe('stream-error');
    expect(classifyError(new ThrottlingException(meta))).toBe('throttled');
    expect(classifyError(new LimitExceededException(meta))).toBe('limit-exceeded');
    expect(classifyError({ name: 'AccessDeniedException' })).toBe('access-denied');
    expect(classifyError({ name: 'ResourceNotFoundException' })).toBe('not-found');
    expect(classifyError({ name: 'InvalidParameterException' })).toBe('invalid-parameter');
    expect(classifyError({ name: 'SomethingNew', $fault: 'server' })).toBe('unavailable');
    expect(classifyError(new Error('aborted'))).toBe('connection');
    expect(classifyError(new Error('AccessDeniedException'))).toBe('connection');
  });

  it('maps reasons to policies: immediate, backoff, slow', () => {
    expect(['timeout', 'rotation', 'stall'].map((r) => policyFor(r as never))).toEqual(['now', 'now', 'now']);
    expect(['stream-error', 'connection', 'clean-end', 'throttled', 'limit-exceeded'].map((r) => policyFor(r as never))).toEqual(Array(5).fill('backoff'));
    expect(['access-denied', 'not-found', 'invalid-parameter'].map((r) => policyFor(r as never))).toEqual(Array(3).fill('slow'));
  });
});

describe('backoff', () => {
  it('doubles from initial up to max, jittered into [d/2, d]', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1_000, () => 0.999999))).toEqual([100, 200, 400, 800, 1_000]);
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 100, 1_000, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffDelay(1_000, 100, 1_000, () => 0.5)).toBe(750);
  });
});

describe('credentials and endpoint', () => {
  it('recognises loopback endpoints', () => {
    for (const e of ['http://127.0.0.1:4566', 'http://127.9.8.7', 'http://localhost:1', 'http://[::1]:4566']) expect(isLoopbackEndpoint(e), e).toBe(true);
    for (const e of ['https://logs.eu-west-1.amazonaws.com', 'http://10.0.0.1', 'http://127.example.com', 'not a url']) expect(isLoopbackEndpoint(e), e).toBe(false);
  });

  it('a loopback endpoint without AWS_ACCESS_KEY_ID gets placeholder credentials; otherwise the default chain', async () => {
    const local = createLogsClient({ aws: { endpoint: 'http://127.0.0.1:4566' }, region: 'us-east-1', env: {} });
    const creds = await (local.config.credentials as () => Promise<{ accessKeyId: string }>)();
    expect(creds.accessKeyId).toBe('AKIDTAILWATCHLOCAL');
    expect(local.config.disableHostPrefix).toBe(true);
    local.destroy();
    const withKey = createLogsClient({ aws: { endpoint: 'http://127.0.0.1:4566' }, region: 'us-east-1', env: { AWS_ACCESS_KEY_ID: 'AKIAREAL' } });
    const remote = createLogsClient({ aws: { endpoint: 'https://vpce.example.com', profile: 'prod' }, region: 'eu-west-1', env: {} });
    for (const c of [withKey, remote]) {
      expect(c).toBeInstanceOf(CloudWatchLogsClient);
      const p = (c.config.credentials as () => Promise<{ accessKeyId: string }>)().then((x) => x.accessKeyId, () => 'chain failed');
      expect(await p).not.toBe('AKIDTAILWATCHLOCAL');
      c.destroy();
    }
  });
});

describe('identifiers', () => {
  it('reduces ARNs and account-prefixed identifiers to the log group name', () => {
    expect(groupNameOf('arn:aws:logs:us-east-1:123456789012:log-group:/ecs/x')).toBe('/ecs/x');
    expect(groupNameOf('arn:aws:logs:us-east-1:123456789012:log-group:/ecs/x:*')).toBe('/ecs/x');
    expect(groupNameOf('123456789012:/ecs/x')).toBe('/ecs/x');
    expect(groupNameOf('/ecs/x')).toBe('/ecs/x');
  });
});

describe('dedupe counts', () => {
  it('each copy on one side cancels one copy on the other, and the oldest keys go first', () => {
    const c = new BoundedCounts(2);
    c.add('a');
    c.add('a');
    expect([c.take('a'), c.take('a'), c.take('a')]).toEqual([true, true, false]);
    c.add('x');
    c.add('y');
    c.add('z');
    expect(c.size).toBe(2);
    expect([c.take('x'), c.take('y'), c.take('z')]).toEqual([false, true, true]);
  });
});

describe('dedupe keys', () => {
  const e = { logGroup: '/app', logStream: 's1', timestamp: 1_700_000_000_000, message: 'x'.repeat(10_000) };
  it('are a fixed-size digest, not the message: small whatever the line', () => {
    expect(eventKey(e)).toHaveLength(32);
    expect(eventKey({ ...e })).toBe(eventKey(e));
  });
  it('differ when any of group, stream, timestamp or message differs (and the separators cannot be shifted)', () => {
    const keys = [
      eventKey(e),
      eventKey({ ...e, logGroup: '/app2' }),
      eventKey({ ...e, logStream: 's2' }),
      eventKey({ ...e, timestamp: e.timestamp + 1 }),
      eventKey({ ...e, message: e.message + 'y' }),
      eventKey({ ...e, logGroup: '/app\u0000s1', logStream: '' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
  it('keep lines that are not valid UTF-16 apart (two lone surrogates would both be U+FFFD in UTF-8)', () => {
    const a = eventKey({ ...e, message: 'bad \ud800' });
    const b = eventKey({ ...e, message: 'bad \ud801' });
    expect(a).not.toBe(b);
  });
});
