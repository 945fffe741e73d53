// Small pure pieces: error classification (by class/name/$fault, never message
// text), backoff bounds, the credentials decision, identifiers → names, dedupe.
import { CloudWatchLogsClient, LimitExceededException, SessionStreamingException, SessionTimeoutException, ThrottlingException } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedCounts, eventKey } from '../../src/livetail/dedupe.js';
import { backoffDelay, logGroupNameOf as groupNameOf } from '../../src/aws/index.js';
import { classifyError, createLogsClient, describeError, isLoopbackEndpoint, policyFor, refreshesCredentials } from '../../src/livetail/index.js';

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

  it('knows the credential, operation and unknown-service errors: refreshed, slow, or backoff', () => {
    expect(classifyError({ name: 'ExpiredTokenException', $fault: 'client' })).toBe('expired-credentials');
    expect(['UnrecognizedClientException', 'InvalidSignatureException'].map((name) => classifyError({ name, $fault: 'client' }))).toEqual(['unauthenticated', 'unauthenticated']);
    expect(classifyError({ name: 'InvalidOperationException', $fault: 'client' })).toBe('invalid-parameter');
    expect(classifyError({ name: 'BrandNewException', $fault: 'client' })).toBe('unexpected');
    // An event-stream error frame: a plain Error named by its code, no $fault.
    expect(classifyError(Object.assign(new Error('x'), { name: 'InternalFailure' }))).toBe('connection');
    expect(['expired-credentials', 'unexpected', 'start-timeout'].map((r) => policyFor(r as never))).toEqual(['backoff', 'backoff', 'backoff']);
    expect(policyFor('unauthenticated')).toBe('slow');
    expect(['expired-credentials', 'unauthenticated', 'access-denied'].map((r) => refreshesCredentials(r as never))).toEqual([true, true, false]);
  });

  it('maps reasons to policies: immediate, backoff, slow', () => {
    expect(['timeout', 'rotation', 'stall'].map((r) => policyFor(r as never))).toEqual(['now', 'now', 'now']);
    expect(['stream-error', 'connection', 'clean-end', 'throttled', 'limit-exceeded'].map((r) => policyFor(r as never))).toEqual(Array(5).fill('backoff'));
    expect(['access-denied', 'not-found', 'invalid-parameter'].map((r) => policyFor(r as never))).toEqual(Array(3).fill('slow'));
  });
});

describe('error details', () => {
  it('says the AWS name, the network code (also from cause), the address and the HTTP status — never the message', () => {
    expect(describeError(new ThrottlingException({ $metadata: { httpStatusCode: 400 }, message: 'secret-ish text' }))).toBe('ThrottlingException (HTTP 400)');
    expect(describeError(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 9 }))).toBe('ECONNREFUSED (connect 127.0.0.1:9)');
    expect(describeError(new Error('x', { cause: { code: 'ENOTFOUND', syscall: 'getaddrinfo', address: 'logs.example' } }))).toBe('ENOTFOUND (getaddrinfo logs.example)');
    expect(describeError(new Error('only a message'))).toBe('Error');
    expect(describeError(undefined)).toBe('Error');
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

/** The Map-based counts BoundedCounts replaced (whole keys kept): the reference semantics. */
class MapCounts {
  private readonly counts = new Map<string, number>();
  constructor(private readonly cap: number) {}
  add(key: string): void {
    const n = this.counts.get(key);
    if (n !== undefined) {
      this.counts.delete(key);
      this.counts.set(key, n + 1);
    } else {
      this.counts.set(key, 1);
      if (this.counts.size > this.cap) this.counts.delete(this.counts.keys().next().value as string);
    }
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  raiseTo(key: string, n: number): void {
    const have = this.counts.get(key) ?? 0;
    if (n <= have) return;
    this.counts.delete(key);
    this.counts.set(key, n);
    if (this.counts.size > this.cap) this.counts.delete(this.counts.keys().next().value as string);
  }
  take(key: string): boolean {
    const n = this.counts.get(key);
    if (n === undefined) return false;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
    return true;
  }
  get size(): number {
    return this.counts.size;
  }
}

describe('dedupe counts stored as digests', () => {
  it('behave exactly like a Map of whole keys (random operations, small caps, lone surrogates, long lines)', () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'bad \ud800', 'bad \ud801', 'x'.repeat(10_000), eventKey({ logGroup: '/g', logStream: 's', timestamp: 1, message: 'm' })];
    const op = fc.record({ kind: fc.constantFrom('add', 'get', 'raise', 'take'), key: fc.constantFrom(...keys), n: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.array(op, { maxLength: 200 }), (cap, ops) => {
        const ref = new MapCounts(cap);
        const c = new BoundedCounts(cap);
        for (const o of ops) {
          if (o.kind === 'add') (ref.add(o.key), c.add(o.key));
          else if (o.kind === 'raise') (ref.raiseTo(o.key, o.n), c.raiseTo(o.key, o.n));
          else if (o.kind === 'take') expect(c.take(o.key)).toBe(ref.take(o.key));
          expect(c.get(o.key)).toBe(ref.get(o.key));
          expect(c.size).toBe(ref.size);
        }
        for (const k of keys) expect(c.get(k)).toBe(ref.get(k));
      }),
      { numRuns: 300 },
    );
  });

  it('hold a full table of 20,000 keys and forget the oldest first', () => {
    const c = new BoundedCounts(20_000);
    for (let i = 0; i < 30_000; i++) c.add(`k${i}`);
    expect(c.size).toBe(20_000);
    expect(c.get('k9999')).toBe(0);
    expect(c.get('k10000')).toBe(1);
    expect(c.get('k29999')).toBe(1);
    for (let i = 10_000; i < 30_000; i++) expect(c.take(`k${i}`)).toBe(true);
    expect(c.size).toBe(0);
  });
});
