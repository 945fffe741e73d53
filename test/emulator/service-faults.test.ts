// The failures the real service and the wire produce, as the emulator injects them, seen
// through the real SDK: what send() and the stream loop throw (class, name, $fault, status).
import {
  CloudWatchLogsServiceException,
  FilterLogEventsCommand,
  InvalidOperationException,
  ServiceUnavailableException,
  SessionStreamingException,
  SessionTimeoutException,
  StartLiveTailCommand,
  ThrottlingException,
  UnrecognizedClientException,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFault, type EmulatorOptions, type Fault } from '../../src/emulator/index.js';
import { makeClient, startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { until } from '../kit/until.js';
import { openSession, type OpenSession } from './live-tail-kit.js';

let emu: StartedEmulator;
let client: CloudWatchLogsClient;
const opened: OpenSession[] = [];
const clients: CloudWatchLogsClient[] = [];

async function setup(opts: EmulatorOptions = {}): Promise<void> {
  emu = await startEmulator({ updateIntervalMs: 0, ...opts });
  client = makeClient(emu.endpoint);
  clients.push(client);
  emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: Date.now(), message: 'seed' }]);
}

const arn = (): string => emu.emulator.logGroupArn('/ecs/payments');

async function open(c = client): Promise<OpenSession> {
  const s = await openSession(c, { logGroupIdentifiers: [arn()] });
  opened.push(s);
  return s;
}

/** StartLiveTail with a deadline: what send() rejects with. */
function start(c = client, ms = 2_000): Promise<unknown> {
  return c.send(new StartLiveTailCommand({ logGroupIdentifiers: [arn()] }), { abortSignal: AbortSignal.timeout(ms) });
}

function put(message: string): void {
  emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: Date.now(), message }]);
}

afterEach(async () => {
  for (const s of opened.splice(0)) s.abort();
  for (const c of clients.splice(0)) c.destroy();
  await emu?.close();
});

describe('next-start faults: StartLiveTail calls that never become a session', () => {
  it('exception-first: an exception as the first frame makes send() reject with its class', async () => {
    await setup();
    emu.emulator.injectFault({ type: 'next-start', fault: 'exception-first' });
    await expect(start()).rejects.toBeInstanceOf(SessionStreamingException);
    emu.emulator.injectFault({ type: 'next-start', fault: 'exception-first', exception: 'SessionTimeoutException' });
    await expect(start()).rejects.toBeInstanceOf(SessionTimeoutException);
    expect(emu.emulator.activeSessionCount()).toBe(0);
    await open(); // one call each: the next one is a session
  });

  it('hang-before-headers and hang-before-frame: send() waits until the caller aborts (requestTimeout would not end it)', async () => {
    await setup();
    for (const fault of ['hang-before-headers', 'hang-before-frame'] as const) {
      emu.emulator.injectFault({ type: 'next-start', fault });
      const began = Date.now();
      await expect(start(client, 300)).rejects.toThrow();
      expect(Date.now() - began).toBeGreaterThanOrEqual(250);
      await until(() => emu.emulator.heldStartCount() === 0, 5_000, 'the held call let go once the client aborted');
    }
    expect(emu.emulator.activeSessionCount()).toBe(0);
  });

  it('clear ends a held start (the client sees its connection go)', async () => {
    await setup();
    emu.emulator.injectFault({ type: 'next-start', fault: 'hang-before-headers' });
    const held = start(client, 10_000).catch((e: unknown) => e);
    await until(() => emu.emulator.heldStartCount() === 1, 5_000, 'the call held');
    emu.emulator.injectFault({ type: 'clear' });
    expect(await held).toBeInstanceOf(Error);
    await open();
  });

  it('reset-before-response: send() rejects with ECONNRESET', async () => {
    await setup();
    emu.emulator.injectFault({ type: 'next-start', fault: 'reset-before-response' });
    await expect(start()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('end-without-frame: a 200 with no frame: the loop ends at once, without a sessionStart', async () => {
    await setup();
    emu.emulator.injectFault({ type: 'next-start', fault: 'end-without-frame', calls: 2 });
    for (let i = 0; i < 2; i++) {
      const res = (await start()) as { responseStream: AsyncIterable<unknown> };
      const frames: unknown[] = [];
      for await (const f of res.responseStream) frames.push(f);
      expect(frames).toEqual([]);
    }
    await open();
  });
});

describe('stream faults on an open session', () => {
  it('error-frame: a `:message-type: error` frame → the loop throws a plain Error named by its code', async () => {
    await setup();
    const s = await open();
    expect(emu.emulator.injectFault({ type: 'error-frame', code: 'InternalFailure' })).toBe(1);
    const err = await s.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(CloudWatchLogsServiceException);
    expect(err).toMatchObject({ name: 'InternalFailure' });
    expect(emu.emulator.stats().ended).toEqual({ broken: 1 });
  });

  it('unknown-event: the SDK skips an event type it does not know; the session goes on', async () => {
    await setup();
    const s = await open();
    expect(emu.emulator.injectFault({ type: 'unknown-event', code: 'sessionHeartbeat' })).toBe(1);
    put('after');
    emu.emulator.flushUpdates();
    const u = await s.nextUpdate();
    expect(u.sessionResults?.map((r) => r.message)).toEqual(['after']);
  });

  const broken: { fault: Fault; expectErr: Record<string, unknown> | RegExp }[] = [
    { fault: { type: 'truncated-frame' }, expectErr: /Truncated event message/ },
    { fault: { type: 'bad-crc' }, expectErr: /checksum/ },
    { fault: { type: 'reset-mid-frame' }, expectErr: { code: 'ECONNRESET' } },
  ];
  for (const { fault, expectErr } of broken) {
    it(`${fault.type}: the pending events' update never arrives whole and the loop throws`, async () => {
      await setup();
      const s = await open();
      put('in the broken frame');
      expect(emu.emulator.injectFault(fault)).toBe(1);
      const err = await s.next().catch((e: unknown) => e);
      if (expectErr instanceof RegExp) expect(String((err as Error).message)).toMatch(expectErr);
      else expect(err).toMatchObject(expectErr);
      await emu.emulator.waitForActiveSessions(0);
      expect(emu.emulator.stats().ended).toEqual({ broken: 1 });
    });
  }
});

describe('error responses', () => {
  it('InvalidOperationException, a namespaced __type, an unknown name, HTTP 500 and 503: as the SDK sees them', async () => {
    await setup();
    const cases: { fault: Partial<Extract<Fault, { type: 'refuse' }>>; check: (e: unknown) => void }[] = [
      { fault: { error: 'InvalidOperationException' }, check: (e) => expect(e).toBeInstanceOf(InvalidOperationException) },
      { fault: { error: 'ThrottlingException', namespaced: true }, check: (e) => expect(e).toBeInstanceOf(ThrottlingException) },
      { fault: { error: 'BrandNewException', status: 400 }, check: (e) => expect(e).toMatchObject({ name: 'BrandNewException', $fault: 'client', $metadata: { httpStatusCode: 400 } }) },
      { fault: { error: 'InternalFailure' }, check: (e) => expect(e).toMatchObject({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } }) },
      { fault: { error: 'ServiceUnavailableException' }, check: (e) => expect(e).toBeInstanceOf(ServiceUnavailableException) },
      { fault: { error: 'BadGateway', status: 502 }, check: (e) => expect(e).toMatchObject({ name: 'BadGateway', $fault: 'server' }) },
    ];
    for (const c of cases) {
      emu.emulator.injectFault({ type: 'refuse', calls: 1, error: c.fault.error!, ...c.fault });
      c.check(await start().catch((e: unknown) => e));
    }
  });

  it('the namespaced __type is what travels', async () => {
    await setup();
    emu.emulator.injectFault({ type: 'refuse', error: 'ThrottlingException', namespaced: true, calls: 1 });
    const res = await fetch(emu.endpoint, { method: 'POST', headers: { 'x-amz-target': 'Logs_20140328.StartLiveTail' }, body: JSON.stringify({ logGroupIdentifiers: [arn()] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'com.amazonaws.cloudwatchlogs#ThrottlingException' });
  });

  it('the admin API checks new faults and says what is wrong', () => {
    expect(() => parseFault({ type: 'refuse', error: 'BrandNewException' })).toThrow(/with a status/);
    expect(() => parseFault({ type: 'refuse', error: 'X', status: 200 })).toThrow(/400-599/);
    expect(() => parseFault({ type: 'next-start', fault: 'nap' })).toThrow(/fault must be one of exception-first/);
    expect(() => parseFault({ type: 'result-identifiers', form: 'arn:*' })).toThrow(/form must be one of arn, account-name, name/);
    expect(() => parseFault({ type: 'expire-credentials' })).toThrow(/accessKeyId is required/);
    expect(parseFault({ type: 'error-frame', code: 'InternalFailure' })).toMatchObject({ type: 'error-frame', code: 'InternalFailure' });
  });
});

describe('SigV4: an emulator given credentials checks every request as the service does', () => {
  const good = { accessKeyId: 'AKIDGOOD', secretAccessKey: 'good-secret' };
  const temp = { accessKeyId: 'ASIATEMP', secretAccessKey: 'temp-secret', sessionToken: 'token-1' };

  it('accepts requests the real SDK signs (JSON and Live Tail, with and without a session token)', async () => {
    await setup({ credentials: [good, temp] });
    for (const creds of [good, temp]) {
      const c = makeClient(emu.endpoint, { credentials: creds });
      clients.push(c);
      const res = await c.send(new FilterLogEventsCommand({ logGroupIdentifier: arn(), filterPattern: 'seed' }));
      expect(res.events?.map((e) => e.message)).toEqual(['seed']);
      await open(c);
    }
  });

  it('unknown key, wrong secret, wrong or expired session token: UnrecognizedClient, InvalidSignature, ExpiredToken', async () => {
    let now = Date.now();
    await setup({ credentials: [good, { ...temp, expiresAt: now + 60_000 }], clock: () => now });
    const send = (creds: object): Promise<unknown> => {
      const c = makeClient(emu.endpoint, { credentials: creds as typeof good });
      clients.push(c);
      return c.send(new FilterLogEventsCommand({ logGroupIdentifier: arn() })).catch((e: unknown) => e);
    };
    expect(await send({ ...good, accessKeyId: 'AKIDOTHER' })).toBeInstanceOf(UnrecognizedClientException);
    expect(await send({ ...good, secretAccessKey: 'wrong' })).toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } });
    expect(await send({ ...temp, sessionToken: 'token-0' })).toBeInstanceOf(UnrecognizedClientException);
    expect(await send(temp)).toMatchObject({ events: [{ message: 'seed' }] });
    now += 60_000; // past expiresAt on the emulator clock
    expect(await send(temp)).toMatchObject({ name: 'ExpiredTokenException', $metadata: { httpStatusCode: 400 } });
    expect(await send(good)).toMatchObject({ events: [{ message: 'seed' }] });
  });

  it('an unsigned request is UnrecognizedClientException; expire-credentials expires a key now', async () => {
    await setup({ credentials: [temp] });
    const res = await fetch(emu.endpoint, { method: 'POST', headers: { 'x-amz-target': 'Logs_20140328.DescribeLogGroups' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'UnrecognizedClientException' });
    const c = makeClient(emu.endpoint, { credentials: temp });
    clients.push(c);
    await open(c);
    emu.emulator.injectFault({ type: 'expire-credentials', accessKeyId: temp.accessKeyId });
    await expect(start(c)).rejects.toMatchObject({ name: 'ExpiredTokenException' });
  });

  it('without credentials nothing is checked (the demo and tests use placeholder keys)', async () => {
    await setup();
    await expect(start(makeClient(emu.endpoint, { credentials: { accessKeyId: 'anything', secretAccessKey: 'at-all' } }))).resolves.toBeTruthy();
  });
});

describe('Live Tail result identifiers and FilterLogEvents pages', () => {
  it('logGroupIdentifier in results: the ARN as requested, accountId:name, or the bare name (option or admin fault)', async () => {
    await setup({ resultIdentifiers: 'account-name', accountId: '210987654321' });
    const s = await open();
    const next = async (): Promise<string | undefined> => {
      put('x');
      emu.emulator.flushUpdates();
      return (await s.nextUpdate()).sessionResults?.[0]?.logGroupIdentifier;
    };
    expect(await next()).toBe('210987654321:/ecs/payments');
    emu.emulator.injectFault({ type: 'result-identifiers', form: 'name' });
    expect(await next()).toBe('/ecs/payments');
    emu.emulator.injectFault({ type: 'result-identifiers', form: 'arn' });
    expect(await next()).toBe(arn());
  });

  it('FilterLogEvents answers searchedLogStreams empty, and pages cut by maxFilterScan are empty or partial with a nextToken', async () => {
    await setup({ maxFilterScan: 2 });
    for (let i = 0; i < 4; i++) put(i % 2 === 0 ? `noise ${i}` : `ERROR ${i}`);
    const messages: string[] = [];
    const pages: number[] = [];
    let nextToken: string | undefined;
    do {
      const res = await client.send(new FilterLogEventsCommand({ logGroupIdentifier: arn(), filterPattern: 'ERROR', nextToken }));
      expect(res.searchedLogStreams).toEqual([]);
      pages.push(res.events?.length ?? 0);
      messages.push(...(res.events ?? []).map((e) => e.message!));
      nextToken = res.nextToken;
    } while (nextToken);
    expect(messages).toEqual(['ERROR 1', 'ERROR 3']);
    expect(pages.some((n) => n === 0)).toBe(true);
  });
});
