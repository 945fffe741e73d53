import { InvalidParameterException, ResourceNotFoundException, LimitExceededException, SessionTimeoutException, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions, LiveTailResult } from '../../src/emulator/index.js';
import { makeClient, startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { openSession, type OpenSession } from './live-tail-kit.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
let emu: StartedEmulator;
let client: CloudWatchLogsClient;
const opened: OpenSession[] = [];

async function setup(opts: EmulatorOptions = {}): Promise<void> {
  emu = await startEmulator({ clock: () => T0, updateIntervalMs: 0, ...opts });
  client = makeClient(emu.endpoint);
  emu.emulator.ingest([
    { logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0 - 1000, message: 'before the session' },
    { logGroup: '/ecs/orders', logStream: 'api-1', timestamp: T0 - 1000, message: 'before the session' },
  ]);
}

async function open(input: Parameters<typeof openSession>[1]): Promise<OpenSession> {
  const s = await openSession(client, input);
  opened.push(s);
  return s;
}

const arn = (name: string): string => emu.emulator.logGroupArn(name);

afterEach(async () => {
  for (const s of opened.splice(0)) s.abort();
  client?.destroy();
  await emu?.close();
});

describe('a Live Tail session', () => {
  it('starts with a sessionStart echoing the request, then delivers only events ingested since, in sessionUpdates', async () => {
    await setup();
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments')], logStreamNamePrefixes: ['api-'], logEventFilterPattern: 'ERROR' });
    expect(s.start).toMatchObject({ logGroupIdentifiers: [arn('/ecs/payments')], logStreamNamePrefixes: ['api-'], logEventFilterPattern: 'ERROR' });
    expect(s.start.requestId).toBeTypeOf('string');
    await emu.emulator.waitForActiveSessions(1);
    emu.emulator.ingest([
      { logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0 + 1, message: 'GET /a ERROR' },
      { logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0 + 2, message: 'GET /b ok' },
      { logGroup: '/ecs/payments', logStream: 'worker-1', timestamp: T0 + 3, message: 'job ERROR' },
      { logGroup: '/ecs/orders', logStream: 'api-1', timestamp: T0 + 4, message: 'orders ERROR' },
      { logGroup: '/ecs/payments', logStream: 'api-2', timestamp: T0 + 5, message: 'POST /c ERROR' },
    ]);
    emu.emulator.flushUpdates();
    const update = await s.nextUpdate();
    expect(update).toEqual({
      sessionMetadata: { sampled: false },
      sessionResults: [
        { logStreamName: 'api-1', logGroupIdentifier: arn('/ecs/payments'), message: 'GET /a ERROR', timestamp: T0 + 1, ingestionTime: T0 },
        { logStreamName: 'api-2', logGroupIdentifier: arn('/ecs/payments'), message: 'POST /c ERROR', timestamp: T0 + 5, ingestionTime: T0 },
      ],
    });
  });

  it('applies JSON filter patterns with the filter engine', async () => {
    await setup();
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments')], logEventFilterPattern: '{ $.status >= 500 && $.path = "/v1/*" }' });
    emu.emulator.ingest(
      [
        '{"status": 502, "path": "/v1/charges"}',
        '{"status": 200, "path": "/v1/charges"}',
        '{"status": 503, "path": "/healthz"}',
        'status 500 /v1/x (not JSON)',
        '{"status": 500, "path": "/v1/refunds"}',
      ].map((message, i) => ({ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0 + i, message })),
    );
    emu.emulator.flushUpdates();
    expect((await s.nextUpdate()).sessionResults?.map((r) => r.message)).toEqual(['{"status": 502, "path": "/v1/charges"}', '{"status": 500, "path": "/v1/refunds"}']);
  });

  it('covers several log groups, and delivers events put with PutLogEvents', async () => {
    await setup();
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments'), arn('/ecs/orders')] });
    const { PutLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
    await client.send(new PutLogEventsCommand({ logGroupName: '/ecs/orders', logStreamName: 'api-1', logEvents: [{ timestamp: T0, message: 'put via the API' }] }));
    emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'x', timestamp: T0, message: 'fed' }]);
    emu.emulator.flushUpdates();
    const update = await s.nextUpdate();
    expect(update.sessionResults?.map((r) => [r.logGroupIdentifier, r.message])).toEqual([
      [arn('/ecs/orders'), 'put via the API'],
      [arn('/ecs/payments'), 'fed'],
    ]);
  });

  it('sends an update every interval, empty when nothing arrived', async () => {
    await setup({ updateIntervalMs: 20 });
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments')] });
    for (let i = 0; i < 3; i++) expect(await s.nextUpdate()).toEqual({ sessionMetadata: { sampled: false }, sessionResults: [] });
  });

  it('samples an update down to 500 events, in ingestion order, and says so', async () => {
    let seed = 1;
    await setup({ random: () => ((seed = (seed * 48271) % 2147483647) / 2147483647) });
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments')] });
    emu.emulator.ingest(Array.from({ length: 1200 }, (_, i) => ({ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0 + i, message: `event ${i}` })));
    emu.emulator.flushUpdates();
    const busy = await s.nextUpdate();
    expect(busy.sessionMetadata).toEqual({ sampled: true });
    const stamps = busy.sessionResults!.map((r) => r.timestamp!);
    expect(stamps).toHaveLength(500);
    expect(new Set(stamps).size).toBe(500);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(stamps.filter((t) => t >= T0 + 600).length).toBeGreaterThan(100); // a sample of all, not the first 500
    emu.emulator.ingest(Array.from({ length: 500 }, (_, i) => ({ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0 + i, message: `again ${i}` })));
    emu.emulator.flushUpdates();
    const full = await s.nextUpdate();
    expect(full.sessionMetadata).toEqual({ sampled: false });
    expect(full.sessionResults).toHaveLength(500);
  });

  it('keeps at most 10 updates for a client that does not read, dropping the oldest', async () => {
    await setup();
    const { request } = await import('node:http');
    const req = request(emu.endpoint, { method: 'POST', headers: { 'x-amz-target': 'Logs_20140328.StartLiveTail', 'content-type': 'application/x-amz-json-1.1' } });
    req.end(JSON.stringify({ logGroupIdentifiers: [arn('/ecs/payments')] }));
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) => req.once('response', resolve));
    res.pause(); // never read: the socket buffers fill up
    await emu.emulator.waitForActiveSessions(1);
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 25; i++) {
      emu.emulator.ingest(Array.from({ length: 10 }, (_, j) => ({ logGroup: '/ecs/payments', logStream: 'a', timestamp: T0, message: `${i}.${j} ${big}` })));
      emu.emulator.flushUpdates();
    }
    const [info] = emu.emulator.sessions();
    expect(info!.updatesDropped).toBeGreaterThan(0);
    expect(info!.updatesSent + info!.updatesDropped).toBe(25 - 10);
    res.destroy();
    await emu.emulator.waitForActiveSessions(0);
  });

  it('reports each written update frame to the onFrameWritten hook', async () => {
    const written: { events: readonly LiveTailResult[]; at: number; sessionId: string }[] = [];
    await setup({ onFrameWritten: (events, at, sessionId) => written.push({ events, at, sessionId }) });
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments')] });
    emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'a', timestamp: T0, message: 'm' }]);
    emu.emulator.flushUpdates();
    await s.nextUpdate();
    expect(written).toEqual([{ events: [{ logStreamName: 'a', logGroupIdentifier: arn('/ecs/payments'), message: 'm', timestamp: T0, ingestionTime: T0 }], at: T0, sessionId: s.sessionId }]);
  });

  it('ends with a SessionTimeoutException after the configured session length, and is gone server-side', async () => {
    await setup({ sessionTimeoutMs: 150 });
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments')] });
    await expect(s.next()).rejects.toBeInstanceOf(SessionTimeoutException);
    expect(emu.emulator.activeSessionCount()).toBe(0);
    expect(emu.emulator.stats().ended).toEqual({ timeout: 1 });
  });

  it('ends server-side when the client aborts', async () => {
    await setup();
    const s = await open({ logGroupIdentifiers: [arn('/ecs/payments')] });
    const pending = s.next();
    await emu.emulator.waitForActiveSessions(1);
    s.abort();
    await expect(pending).rejects.toThrow('aborted');
    await emu.emulator.waitForActiveSessions(0);
    expect(emu.emulator.stats().ended).toEqual({ closed: 1 });
  });
});

describe('StartLiveTail parameters', () => {
  const invalid: [string, () => Parameters<typeof openSession>[1]][] = [
    ['a plain log group name (the service wants ARNs)', () => ({ logGroupIdentifiers: ['/ecs/payments'] })],
    ['no log group', () => ({ logGroupIdentifiers: [] })],
    ['more than 10 log groups', () => ({ logGroupIdentifiers: Array.from({ length: 11 }, () => arn('/ecs/payments')) })],
    ['an ARN ending in *', () => ({ logGroupIdentifiers: [`${arn('/ecs/payments')}:*`] })],
    ['stream names and prefixes together', () => ({ logGroupIdentifiers: [arn('/ecs/payments')], logStreamNames: ['a'], logStreamNamePrefixes: ['b'] })],
    ['stream names with two log groups', () => ({ logGroupIdentifiers: [arn('/ecs/payments'), arn('/ecs/orders')], logStreamNames: ['a'] })],
    ['stream prefixes with two log groups', () => ({ logGroupIdentifiers: [arn('/ecs/payments'), arn('/ecs/orders')], logStreamNamePrefixes: ['a'] })],
    ['a filter pattern over 1024 characters', () => ({ logGroupIdentifiers: [arn('/ecs/payments')], logEventFilterPattern: 'x'.repeat(1025) })],
  ];
  for (const [what, input] of invalid) {
    it(`refuses ${what} with InvalidParameterException`, async () => {
      await setup();
      await expect(open(input())).rejects.toBeInstanceOf(InvalidParameterException);
      expect(emu.emulator.activeSessionCount()).toBe(0);
    });
  }

  it('refuses a filter pattern that does not compile, naming the column', async () => {
    await setup();
    const err = await open({ logGroupIdentifiers: [arn('/ecs/payments')], logEventFilterPattern: '{ $.status >= }' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidParameterException);
    expect((err as Error).message).toMatch(/^Invalid logEventFilterPattern at column \d+: /);
  });

  it('refuses a log group that does not exist (or is in another account) with ResourceNotFoundException', async () => {
    await setup();
    await expect(open({ logGroupIdentifiers: [arn('/ecs/payments'), arn('/ecs/missing')] })).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(open({ logGroupIdentifiers: ['arn:aws:logs:us-east-1:999999999999:log-group:/ecs/payments'] })).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('accepts plain names when told to', async () => {
    await setup({ liveTailAcceptsNames: true });
    const s = await open({ logGroupIdentifiers: ['/ecs/payments'] });
    emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'a', timestamp: T0, message: 'm' }]);
    emu.emulator.flushUpdates();
    expect((await s.nextUpdate()).sessionResults?.[0]?.logGroupIdentifier).toBe('/ecs/payments');
  });
});

describe('the concurrency quota', () => {
  it('refuses sessions beyond the quota with LimitExceededException, per region, and frees a slot when one closes', async () => {
    await setup({ maxConcurrentSessions: 2 });
    const a = await open({ logGroupIdentifiers: [arn('/ecs/payments')] });
    await open({ logGroupIdentifiers: [arn('/ecs/orders')] });
    await expect(open({ logGroupIdentifiers: [arn('/ecs/payments')] })).rejects.toBeInstanceOf(LimitExceededException);
    emu.emulator.ingest([{ logGroup: '/x', logStream: 'a', timestamp: T0, message: 'm' }], { region: 'eu-west-1' });
    const eu = makeClient(emu.endpoint, { region: 'eu-west-1' });
    try {
      const other = await openSession(eu, { logGroupIdentifiers: [emu.emulator.logGroupArn('/x', { region: 'eu-west-1' })] });
      opened.push(other);
      expect(emu.emulator.activeSessionCount('eu-west-1')).toBe(1);
    } finally {
      eu.destroy();
    }
    a.abort();
    await emu.emulator.waitFor(() => emu.emulator.activeSessionCount('us-east-1') === 1);
    await open({ logGroupIdentifiers: [arn('/ecs/payments')] });
    expect(emu.emulator.activeSessionCount('us-east-1')).toBe(2);
  });
});
