import {
  AccessDeniedException,
  FilterLogEventsCommand,
  LimitExceededException,
  SessionStreamingException,
  SessionTimeoutException,
  ThrottlingException,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import { makeClient, startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { openSession, type OpenSession } from './live-tail-kit.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
let now = T0;
let emu: StartedEmulator;
let client: CloudWatchLogsClient;
const opened: OpenSession[] = [];

async function setup(opts: EmulatorOptions = {}): Promise<void> {
  now = T0;
  emu = await startEmulator({ clock: () => now, updateIntervalMs: 0, ...opts });
  client = makeClient(emu.endpoint);
  emu.emulator.ingest([
    { logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0, message: 'seed' },
    { logGroup: '/ecs/orders', logStream: 'api-1', timestamp: T0, message: 'seed' },
  ]);
}

async function open(group = '/ecs/payments'): Promise<OpenSession> {
  const s = await openSession(client, { logGroupIdentifiers: [emu.emulator.logGroupArn(group)] });
  opened.push(s);
  return s;
}

async function admin(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(emu.endpoint + path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

afterEach(async () => {
  for (const s of opened.splice(0)) s.abort();
  client?.destroy();
  await emu?.close();
});

describe('session faults', () => {
  beforeEach(() => setup());

  it('drop: the connection is destroyed mid-stream and the SDK throws Error("aborted")', async () => {
    const s = await open();
    expect(emu.emulator.injectFault({ type: 'drop' })).toBe(1);
    await expect(s.next()).rejects.toThrow('aborted');
    expect(emu.emulator.activeSessionCount()).toBe(0);
  });

  it('drop of one session leaves the others running', async () => {
    const a = await open('/ecs/payments');
    const b = await open('/ecs/orders');
    expect(emu.emulator.injectFault({ type: 'drop', sessionId: a.sessionId })).toBe(1);
    await expect(a.next()).rejects.toThrow('aborted');
    emu.emulator.ingest([{ logGroup: '/ecs/orders', logStream: 'api-1', timestamp: T0, message: 'still here' }]);
    emu.emulator.flushUpdates();
    expect((await b.nextUpdate()).sessionResults?.map((r) => r.message)).toEqual(['still here']);
  });

  it('streaming-exception: the SDK throws SessionStreamingException from the loop', async () => {
    const s = await open();
    emu.emulator.injectFault({ type: 'streaming-exception', message: 'boom' });
    const err = await s.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionStreamingException);
    expect((err as Error).message).toBe('boom');
    expect(emu.emulator.activeSessionCount()).toBe(0);
  });

  it('timeout: the SDK throws SessionTimeoutException at once', async () => {
    const s = await open();
    emu.emulator.injectFault({ type: 'timeout' });
    await expect(s.next()).rejects.toBeInstanceOf(SessionTimeoutException);
  });

  it('end: the stream ends cleanly, the loop just stops, and the session is over server-side', async () => {
    const s = await open();
    emu.emulator.injectFault({ type: 'end' });
    await expect(s.next()).resolves.toBeUndefined();
    expect(emu.emulator.activeSessionCount()).toBe(0);
  });

  it('stall: no updates while stalled, the connection stays, events collected meanwhile arrive on resume', async () => {
    const s = await open();
    emu.emulator.injectFault({ type: 'stall' });
    emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0, message: 'during the stall' }]);
    emu.emulator.flushUpdates();
    const frame = s.next();
    expect(emu.emulator.sessions()[0]).toMatchObject({ stalled: true, updatesSent: 0 });
    expect(emu.emulator.activeSessionCount()).toBe(1);
    emu.emulator.injectFault({ type: 'resume' });
    emu.emulator.flushUpdates();
    expect((await frame)?.sessionUpdate?.sessionResults?.map((r) => r.message)).toEqual(['during the stall']);
    expect(emu.emulator.sessions()[0]).toMatchObject({ stalled: false, updatesSent: 1 });
  });
});

describe('refusing new sessions', () => {
  beforeEach(() => setup());

  it('throttles the next N StartLiveTail calls with ThrottlingException, then accepts', async () => {
    emu.emulator.injectFault({ type: 'refuse', error: 'ThrottlingException', calls: 2 });
    await expect(open()).rejects.toBeInstanceOf(ThrottlingException);
    await expect(open()).rejects.toBeInstanceOf(ThrottlingException);
    await expect(open()).resolves.toBeDefined();
  });

  it('counts each SDK retry attempt as a call', async () => {
    emu.emulator.injectFault({ type: 'refuse', error: 'ThrottlingException', calls: 2 });
    const retrying = makeClient(emu.endpoint, { maxAttempts: 3, retryStrategy: undefined });
    try {
      const s = await openSession(retrying, { logGroupIdentifiers: [emu.emulator.logGroupArn('/ecs/payments')] });
      opened.push(s);
      expect(emu.emulator.activeSessionCount()).toBe(1);
    } finally {
      retrying.destroy();
    }
  });

  it('denies access for a duration on the emulator clock', async () => {
    emu.emulator.injectFault({ type: 'refuse', error: 'AccessDeniedException', forMs: 60_000 });
    await expect(open()).rejects.toBeInstanceOf(AccessDeniedException);
    now += 59_999;
    await expect(open()).rejects.toBeInstanceOf(AccessDeniedException);
    now += 1;
    await expect(open()).resolves.toBeDefined();
  });

  it('denies access to one log group only, as IAM would, leaving sessions on other groups alone', async () => {
    await admin('/_emulator/faults', { type: 'refuse', error: 'AccessDeniedException', logGroupName: '/ecs/orders' });
    await expect(open('/ecs/orders')).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/orders' }))).resolves.toBeDefined(); // only StartLiveTail by default
    await expect(open('/ecs/payments')).resolves.toBeDefined();
    await expect(open('/ecs/orders')).rejects.toBeInstanceOf(AccessDeniedException);
  });

  it('refuses with LimitExceededException until cleared, and can target another operation', async () => {
    emu.emulator.injectFault({ type: 'refuse', error: 'LimitExceededException' });
    emu.emulator.injectFault({ type: 'refuse', error: 'ThrottlingException', operation: 'FilterLogEvents', calls: 1 });
    await expect(open()).rejects.toBeInstanceOf(LimitExceededException);
    await expect(open()).rejects.toBeInstanceOf(LimitExceededException);
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments' }))).rejects.toBeInstanceOf(ThrottlingException);
    expect((await client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments' }))).events).toHaveLength(1);
    emu.emulator.injectFault({ type: 'clear' });
    await expect(open()).resolves.toBeDefined();
  });
});

describe('the admin endpoint', () => {
  beforeEach(() => setup());

  it('lists active sessions and applies faults posted as JSON', async () => {
    const s = await open();
    const listed = await admin('/_emulator/sessions');
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ active: 1, started: 1, sessions: [{ sessionId: s.sessionId, region: 'us-east-1', stalled: false }] });
    expect(await admin('/_emulator/faults', { type: 'streaming-exception', sessionId: s.sessionId })).toEqual({ status: 200, json: { affectedSessions: 1 } });
    await expect(s.next()).rejects.toBeInstanceOf(SessionStreamingException);
    expect((await admin('/_emulator/sessions')).json).toMatchObject({ active: 0, ended: { 'streaming-exception': 1 } });
    await admin('/_emulator/faults', { type: 'refuse', error: 'ThrottlingException', calls: 1 });
    await expect(open()).rejects.toBeInstanceOf(ThrottlingException);
  });

  it('flushes updates on request and rejects malformed faults with a reason', async () => {
    const s = await open();
    emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: T0, message: 'flushed' }]);
    expect((await admin('/_emulator/flush', {})).status).toBe(200);
    expect((await s.nextUpdate()).sessionResults?.map((r) => r.message)).toEqual(['flushed']);
    const bad = await admin('/_emulator/faults', { type: 'refuse', error: 'Teapot' });
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toMatch(/error must be one of ThrottlingException/);
  });
});

describe('stopping the emulator', () => {
  it('ends every session server-side and closes the connections', async () => {
    await setup();
    const a = await open('/ecs/payments');
    const b = await open('/ecs/orders');
    await emu.close();
    expect(emu.emulator.activeSessionCount()).toBe(0);
    expect(emu.emulator.stats().ended).toEqual({ 'server-stopped': 2 });
    // The clients' streams finish (clean end or reset, whichever the socket shows first) instead of hanging.
    for (const s of [a, b]) await expect(s.next().then(() => 'finished', () => 'finished')).resolves.toBe('finished');
  });
});
