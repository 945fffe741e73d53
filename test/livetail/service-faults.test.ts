// The supervisor against every failure the emulator learned from the real service and the wire,
// through the real SDK: the reason and policy of each restart, the log line, and that no event is
// lost or counted twice across it (the backfill covers the gap).
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, Rule, RuleSet } from '../../src/model/config.js';
import type { EmulatorOptions, Fault } from '../../src/emulator/index.js';
import { createLiveTailSource, type LiveTailSourceOptions } from '../../src/livetail/index.js';
import type { EventSource } from '../../src/model/ports.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { capturingLogger, Collector, emulatorConfig, recordingMetrics } from '../kit/livetail.js';
import { until } from '../kit/until.js';
import { rule } from '../kit/rules.js';

let emu: StartedEmulator | undefined;
let source: EventSource | undefined;

afterEach(async () => {
  await source?.stop();
  source = undefined;
  await emu?.close();
  emu = undefined;
});

const rules = (...rs: Rule[]): RuleSet => ({ rules: rs, files: [] });
const payments = rule({ id: 'pay', logGroups: ['/ecs/payments'] });

interface Harness {
  emu: StartedEmulator;
  source: EventSource;
  config: Config;
  got: Collector;
  logs: Record<string, unknown>[];
  started: () => number;
  put(...messages: string[]): void;
  reasons(): string[];
  restartLogs(): Record<string, unknown>[];
}

async function harness(opts: { emulator?: EmulatorOptions; sessions?: Partial<Config['sessions']>; source?: Partial<LiveTailSourceOptions>; aws?: Partial<Config['aws']> } = {}): Promise<Harness> {
  emu = await startEmulator({ updateIntervalMs: 50, ...opts.emulator });
  const e = emu;
  e.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: Date.now() - 60_000, message: 'seed' }]);
  const config = emulatorConfig(e.endpoint, opts.sessions, opts.aws);
  const got = new Collector();
  const metrics = recordingMetrics();
  const { logger, lines } = capturingLogger();
  source = createLiveTailSource({ onEvents: got.handler, config, logger, metrics, env: {}, ...opts.source });
  return {
    emu: e,
    source,
    config,
    got,
    logs: lines,
    started: () => metrics.rec.started.length,
    put: (...messages) => e.emulator.ingest(messages.map((message) => ({ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: Date.now(), message }))),
    reasons: () => metrics.rec.restarts.map((r) => r.reason),
    restartLogs: () => lines.filter((l) => l['msg'] === 'session restarting'),
  };
}

/** Running, with one event delivered live. */
async function running(h: Harness, r: Rule = payments): Promise<void> {
  await h.source.apply(rules(r), h.config);
  await until(() => h.source.health().ready, 5_000, 'ready');
  h.put('before');
  await until(() => h.got.messages().includes('before'), 5_000, 'an event live');
}

/** Every message the rule got, each exactly once, and nothing else. */
function expectEachOnce(h: Harness, messages: string[]): void {
  expect([...h.got.messages()].sort()).toEqual([...messages].sort());
}

describe('a frame that never arrives whole: restart with backoff, the backfill brings its events, none twice', () => {
  const cases: { fault: Fault; reason: string }[] = [
    { fault: { type: 'truncated-frame' }, reason: 'connection' },
    { fault: { type: 'bad-crc' }, reason: 'connection' },
    { fault: { type: 'reset-mid-frame' }, reason: 'connection' },
    { fault: { type: 'error-frame', code: 'InternalFailure' }, reason: 'connection' },
  ];
  for (const { fault, reason } of cases) {
    it(`${fault.type}`, async () => {
      const h = await harness();
      await running(h);
      // Put and break in one tick: these events are in the broken frame (or, error-frame, in none).
      h.put('lost-1', 'lost-2');
      expect(h.emu.emulator.injectFault(fault)).toBe(1);
      await until(() => h.started() === 2, 5_000, 'started again');
      expect(h.reasons()).toEqual([reason]);
      expect(h.restartLogs()).toHaveLength(1);
      const line = h.restartLogs()[0]!;
      expect(line).toMatchObject({ level: 40, reason, phase: 'stream' });
      expect(line['delayMs']).toBeGreaterThan(0); // backoff, not at once
      if (fault.type === 'error-frame') expect(line['error']).toBe('InternalFailure');
      await until(() => h.got.messages().includes('lost-2'), 5_000, 'the broken frame\'s events, backfilled');
      h.put('after');
      await until(() => h.got.messages().includes('after'), 5_000, 'events flow again');
      await new Promise((r) => setTimeout(r, 150)); // a few more updates: nothing comes twice
      expectEachOnce(h, ['before', 'lost-1', 'lost-2', 'after']);
    });
  }

  it('unknown-event: skipped (the SDK drops event types it does not know), no restart, events keep flowing', async () => {
    const h = await harness();
    await running(h);
    expect(h.emu.emulator.injectFault({ type: 'unknown-event', code: 'sessionHeartbeat' })).toBe(1);
    h.put('after');
    await until(() => h.got.messages().includes('after'), 5_000, 'the next event');
    expect(h.reasons()).toEqual([]);
    expect(h.started()).toBe(1);
    expectEachOnce(h, ['before', 'after']);
  });
});

describe('FilterLogEvents as the service pages it', () => {
  it('a gap backfilled through empty and partial pages that carry a nextToken (searchedLogStreams empty): every event once', async () => {
    const h = await harness({ emulator: { maxFilterScan: 1 } });
    await running(h, rule({ id: 'pay', logGroups: ['/ecs/payments'], filterPattern: '?gap ?before ?after' }));
    h.emu.emulator.injectFault({ type: 'drop' });
    h.put('gap-1', 'noise', 'gap-2', 'noise', 'gap-3');
    await until(() => h.started() === 2, 5_000, 'started again');
    await until(() => h.got.messages().includes('gap-3'), 5_000, 'the gap backfilled');
    h.put('after');
    await until(() => h.got.messages().includes('after'), 5_000, 'events flow again');
    await new Promise((r) => setTimeout(r, 150));
    expectEachOnce(h, ['before', 'gap-1', 'gap-2', 'gap-3', 'after']);
    // One stored event a call: a page per event of the gap, the noise's empty.
    expect(h.emu.emulator.stats().calls['FilterLogEvents']).toBeGreaterThanOrEqual(5);
  });
});

describe('a start that fails or never completes: restart with backoff, the gap backfilled', () => {
  const cases: { fault: Extract<Fault, { type: 'next-start' }>['fault']; reason: string; error?: string }[] = [
    { fault: 'exception-first', reason: 'stream-error', error: 'SessionStreamingException' },
    { fault: 'hang-before-headers', reason: 'start-timeout' },
    { fault: 'hang-before-frame', reason: 'start-timeout' },
    { fault: 'reset-before-response', reason: 'connection', error: 'TimeoutError ECONNRESET' },
    { fault: 'end-without-frame', reason: 'clean-end' },
  ];
  for (const { fault, reason, error } of cases) {
    it(`${fault}: "${reason}"`, async () => {
      // stallAfter is the start deadline too: a held start is abandoned after it.
      const h = await harness({ sessions: { stallAfterMs: 500 } });
      await running(h);
      h.emu.emulator.injectFault({ type: 'next-start', fault });
      h.put('during-1');
      h.emu.emulator.injectFault({ type: 'drop' });
      await until(() => h.reasons().length === 2, 5_000, 'the faulty start');
      h.put('during-2');
      await until(() => h.started() === 2, 8_000, 'started again');
      expect(h.reasons()).toEqual(['connection', reason]);
      const line = h.restartLogs()[1]!;
      expect(line).toMatchObject({ reason, phase: 'start' });
      expect(line['delayMs']).toBeGreaterThan(0);
      if (error) expect(line['error']).toBe(error);
      await until(() => h.got.messages().includes('during-2'), 5_000, 'the gap backfilled');
      h.put('after');
      await until(() => h.got.messages().includes('after'), 5_000, 'events flow again');
      await new Promise((r) => setTimeout(r, 150));
      expectEachOnce(h, ['before', 'during-1', 'during-2', 'after']);
      expect(h.emu.emulator.activeSessionCount()).toBe(1);
    });
  }
});

describe('error responses: each answered with its policy', () => {
  const cases: { refuse: Partial<Extract<Fault, { type: 'refuse' }>>; reason: string; unhealthy: boolean; error: string }[] = [
    { refuse: { error: 'InvalidOperationException' }, reason: 'invalid-parameter', unhealthy: true, error: 'InvalidOperationException (HTTP 400)' },
    { refuse: { error: 'ThrottlingException', namespaced: true }, reason: 'throttled', unhealthy: false, error: 'ThrottlingException (HTTP 400)' },
    { refuse: { error: 'BrandNewException', status: 400 }, reason: 'unexpected', unhealthy: false, error: 'BrandNewException (HTTP 400)' },
    { refuse: { error: 'InternalFailure' }, reason: 'unavailable', unhealthy: false, error: 'InternalFailure (HTTP 500)' },
    { refuse: { error: 'ServiceUnavailableException' }, reason: 'unavailable', unhealthy: false, error: 'ServiceUnavailableException (HTTP 503)' },
    { refuse: { error: 'InvalidParameterException' }, reason: 'invalid-parameter', unhealthy: true, error: 'InvalidParameterException (HTTP 400)' },
    { refuse: { error: 'ResourceNotFoundException' }, reason: 'not-found', unhealthy: true, error: 'ResourceNotFoundException (HTTP 400)' },
    { refuse: { error: 'ExpiredTokenException' }, reason: 'expired-credentials', unhealthy: false, error: 'ExpiredTokenException (HTTP 400)' },
    { refuse: { error: 'UnrecognizedClientException' }, reason: 'unauthenticated', unhealthy: true, error: 'UnrecognizedClientException (HTTP 400)' },
    { refuse: { error: 'InvalidSignatureException' }, reason: 'unauthenticated', unhealthy: true, error: 'InvalidSignatureException (HTTP 400)' },
  ];
  for (const { refuse, reason, unhealthy, error } of cases) {
    it(`${refuse.error}${refuse.namespaced ? ' (namespaced __type)' : ''}${refuse.status ? ` (HTTP ${refuse.status})` : ''} → "${reason}"${unhealthy ? ', rules unhealthy, retried slowly' : ', backoff'}`, async () => {
      const h = await harness({ source: { slowRetryMs: 300 } });
      h.emu.emulator.injectFault({ type: 'refuse', calls: 1, error: refuse.error!, ...refuse });
      await h.source.apply(rules(payments), h.config);
      await until(() => h.reasons().length === 1, 5_000, 'refused once');
      const line = h.restartLogs()[0]!;
      expect(line).toMatchObject({ reason, error, phase: 'start' });
      if (unhealthy) {
        expect(line['unhealthyRules']).toEqual(['pay']);
        expect(line['delayMs']).toBe(300);
      } else {
        expect(line['unhealthyRules']).toBeUndefined();
        expect(line['delayMs']).toBeLessThanOrEqual(200); // backoff.maxMs of the test config
      }
      await until(() => h.source.health().ready, 5_000, 'started once the refusal is over');
      expect(h.source.health().unhealthyRules).toEqual([]);
    });
  }
});

describe('credentials refused: asked for again before the retry', () => {
  const first = { accessKeyId: 'ASIAFIRST', secretAccessKey: 'first-secret', sessionToken: 'token-1' };
  const second = { accessKeyId: 'ASIASECOND', secretAccessKey: 'second-secret', sessionToken: 'token-2' };

  it('ExpiredTokenException: new clients read the provider again and the session recovers, the gap backfilled', async () => {
    let current = first;
    let asked = 0;
    const provider = async (): Promise<typeof first> => {
      asked++;
      return current;
    };
    const h = await harness({ emulator: { credentials: [first, second] }, source: { credentials: provider } });
    await running(h);
    const askedWhileRunning = asked;
    // The role's token expires; the provider would now give the renewed one, the clients still hold the old.
    current = second;
    h.emu.emulator.injectFault({ type: 'expire-credentials', accessKeyId: first.accessKeyId });
    h.put('during');
    h.emu.emulator.injectFault({ type: 'drop' });
    await until(() => h.started() === 2, 5_000, 'started again with the new token');
    expect(h.reasons()).toEqual(['connection', 'expired-credentials']);
    expect(h.restartLogs()[1]).toMatchObject({ reason: 'expired-credentials', error: 'ExpiredTokenException (HTTP 400)', credentials: 'asked for again before the retry' });
    expect(h.restartLogs()[1]!['unhealthyRules']).toBeUndefined();
    expect(asked).toBeGreaterThan(askedWhileRunning);
    await until(() => h.got.messages().includes('during'), 5_000, 'the gap backfilled (FilterLogEvents signed with the new token)');
    expectEachOnce(h, ['before', 'during']);
  });

  for (const { what, bad, reason, error } of [
    { what: 'an unknown access key', bad: { ...second, accessKeyId: 'ASIANOBODY' }, reason: 'unauthenticated', error: 'UnrecognizedClientException (HTTP 400)' },
    { what: 'a wrong secret', bad: { ...second, secretAccessKey: 'not-it' }, reason: 'unauthenticated', error: 'InvalidSignatureException (HTTP 400)' },
  ]) {
    it(`${what}: ${error.split(' ')[0]} → rules unhealthy, retried slowly with credentials read again; recovers once they are right`, async () => {
      let current = bad;
      const h = await harness({ emulator: { credentials: [second] }, source: { credentials: async () => current, slowRetryMs: 300 } });
      await h.source.apply(rules(payments), h.config);
      await until(() => h.source.health().unhealthyRules.includes('pay'), 5_000, 'unhealthy');
      expect(h.restartLogs()[0]).toMatchObject({ reason, error, unhealthyRules: ['pay'], delayMs: 300, credentials: 'asked for again before the retry' });
      current = second;
      await until(() => h.source.health().ready, 5_000, 'ready with the right credentials');
      expect(h.source.health().unhealthyRules).toEqual([]);
      expect(new Set(h.reasons())).toEqual(new Set([reason]));
    });
  }
});

describe('logGroupIdentifier in results: every event reaches exactly the rules of its group, whatever the form', () => {
  for (const form of ['arn', 'account-name', 'name'] as const) {
    it(`${form}`, async () => {
      const { Engine } = await import('../../src/engine/index.js');
      // The log groups' account is not the configured one: the rules name them by ARN.
      const account = '210987654321';
      const h = await harness({ emulator: { resultIdentifiers: form, accountId: account }, sessions: { maxConcurrent: 1 } });
      h.emu.emulator.ingest(['/a', '/b'].map((g) => ({ logGroup: g, logStream: 's', timestamp: Date.now() - 60_000, message: 'seed' })));
      const arnOf = (g: string): string => `arn:aws:logs:us-east-1:${account}:log-group:${g}`;
      const rs = rules(rule({ id: 'a-err', logGroups: [arnOf('/a')], filterPattern: 'ERROR' }), rule({ id: 'b-err', logGroups: [arnOf('/b')], filterPattern: 'ERROR' }));
      const engine = new Engine({ rules: rs, silences: [] });
      const fired: string[] = [];
      const groups: string[] = [];
      await h.source.stop();
      const { logger } = capturingLogger();
      const src = createLiveTailSource({
        onEvents: ({ events }) =>
          events.forEach((e) => {
            groups.push(e.logGroup);
            engine.ingest(e).forEach((r) => fired.push(`${r.alert.rule.id}:${e.message}`));
          }),
        config: h.config,
        logger,
        env: {},
      });
      source = src;
      await src.apply(rs, h.config);
      await h.emu.emulator.waitForActiveSessions(1);
      expect(h.emu.emulator.sessions()[0]!.request.logGroupIdentifiers).toEqual([arnOf('/a'), arnOf('/b')]);
      await until(() => src.health().ready, 5_000, 'ready');
      h.emu.emulator.ingest([
        { logGroup: '/a', logStream: 's', timestamp: Date.now(), message: 'ERROR in a' },
        { logGroup: '/b', logStream: 's', timestamp: Date.now(), message: 'ERROR in b' },
      ]);
      await until(() => fired.length >= 2, 5_000, 'two alerts');
      await new Promise((r) => setTimeout(r, 150));
      expect(fired.sort()).toEqual(['a-err:ERROR in a', 'b-err:ERROR in b']);
      expect([...new Set(groups)].sort()).toEqual(['/a', '/b']);
    });
  }
});
