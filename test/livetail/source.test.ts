// The supervised Live Tail source against the emulator, through the real SDK:
// delivery, every fault and the supervisor's answer, rotation, quota, reload, shutdown.
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, Rule, RuleSet } from '../../src/model/config.js';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import { createLiveTailSource, LiveTailSource, type LiveTailSourceOptions } from '../../src/livetail/index.js';
import type { EventSource } from '../../src/model/ports.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { capturingLogger, Collector, emulatorConfig, recordingMetrics } from '../kit/livetail.js';
import { rule } from '../kit/rules.js';
import { SteppedClock } from '../kit/stepped-clock.js';
import { until } from '../kit/until.js';

let emu: StartedEmulator | undefined;
let source: EventSource | undefined;

afterEach(async () => {
  await source?.stop();
  source = undefined;
  await emu?.close();
  emu = undefined;
});

const rules = (...rs: Rule[]): RuleSet => ({ rules: rs, files: [] });

interface Harness {
  emu: StartedEmulator;
  source: EventSource;
  config: Config;
  got: Collector;
  metrics: ReturnType<typeof recordingMetrics>;
  logs: Record<string, unknown>[];
  put(group: string, ...messages: string[]): void;
  reasons(): string[];
}

async function harness(opts: { emulator?: EmulatorOptions; sessions?: Partial<Config['sessions']>; source?: Partial<LiveTailSourceOptions>; groups?: string[] } = {}): Promise<Harness> {
  emu = await startEmulator({ updateIntervalMs: 50, ...opts.emulator });
  const e = emu;
  for (const g of opts.groups ?? ['/ecs/payments']) e.emulator.ingest([{ logGroup: g, logStream: 'api-1', timestamp: Date.now() - 60_000, message: 'seed' }]);
  const config = emulatorConfig(e.endpoint, opts.sessions);
  const got = new Collector();
  const metrics = recordingMetrics();
  const { logger, lines } = capturingLogger();
  source = createLiveTailSource({ onEvents: got.handler, config, logger, metrics, env: {}, ...opts.source });
  return {
    emu: e,
    source,
    config,
    got,
    metrics,
    logs: lines,
    put: (group, ...messages) => e.emulator.ingest(messages.map((message) => ({ logGroup: group, logStream: 'api-1', timestamp: Date.now(), message }))),
    reasons: () => metrics.rec.restarts.map((r) => r.reason),
  };
}

const payments = rule({ id: 'pay', logGroups: ['/ecs/payments'] });
const unavailableLogs = (h: Harness) => h.logs.map((l) => String(l['msg'])).filter((m) => m.includes(': left out of its session, '));

describe('a session delivers events', () => {
  it('hands each update to onEvents as LogEvents with the log group name, and becomes ready', async () => {
    const h = await harness();
    await h.source.apply(rules(payments), h.config);
    await until(() => h.source.health().ready, 5_000, 'ready');
    h.put('/ecs/payments', 'one', 'two');
    await until(() => h.got.events.length === 2, 5_000, 'two events');
    expect(h.got.events[0]).toMatchObject({ logGroup: '/ecs/payments', logStream: 'api-1', message: 'one' });
    expect(typeof h.got.events[0]!.ingestionTime).toBe('number');
    expect(h.got.calls).toHaveLength(1); // one call per update
    expect(h.metrics.rec.started).toHaveLength(1);
    expect(h.source.health()).toMatchObject({ ready: true, unhealthyRules: [] });
  });

  it('sends the rule source as StartLiveTail parameters (ARNs, stream filter, pattern)', async () => {
    const h = await harness();
    await h.source.apply(rules(rule({ id: 'p', logGroups: ['/ecs/payments'], logStreamPrefixes: ['api-'], filterPattern: 'ERROR' })), h.config);
    await h.emu.emulator.waitForActiveSessions(1);
    expect(h.emu.emulator.sessions()[0]!.request).toMatchObject({
      logGroupIdentifiers: ['arn:aws:logs:us-east-1:123456789012:log-group:/ecs/payments'],
      logStreamNamePrefixes: ['api-'],
      logEventFilterPattern: 'ERROR',
    });
    h.put('/ecs/payments', 'ERROR a', 'fine');
    await until(() => h.got.events.length === 1, 5_000, 'the ERROR event');
    expect(h.got.messages()).toEqual(['ERROR a']);
  });

  it('completes a sampled update: the watermark holds below it until FilterLogEvents brought the rest, each event once', async () => {
    const h = await harness({ emulator: { maxEventsPerUpdate: 5, updateIntervalMs: 0 } });
    await h.source.apply(rules(payments), h.config);
    await h.emu.emulator.waitForActiveSessions(1);
    await until(() => h.metrics.rec.started.length === 1, 5_000, 'started');
    const before = Date.now();
    h.put('/ecs/payments', ...Array.from({ length: 20 }, (_, i) => `e${i}`));
    h.emu.emulator.flushUpdates();
    await until(() => h.got.events.length === 5, 5_000, 'five sampled events');
    expect(h.metrics.rec.sampled).toHaveLength(1);
    // Until completed, no batch claims to cover the sampled events.
    const sampledBatch = h.got.batches.findIndex((b) => b.events.length === 5);
    expect(h.got.batches.slice(sampledBatch).every((b) => b.watermark === undefined || b.watermark < before)).toBe(true);
    await until(() => h.got.events.length === 20, 5_000, 'the other fifteen, completed');
    expect(h.got.messages().sort()).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`).sort());
    expect(h.got.events.some((e) => e.sampled)).toBe(false);
    // Then the watermark passes them (updates arriving a grace after them).
    const flushing = setInterval(() => h.emu.emulator.flushUpdates(), 100);
    try {
      await until(() => (h.got.batches.at(-1)?.watermark ?? 0) >= before + 19, 5_000, 'the watermark past the sampled second');
    } finally {
      clearInterval(flushing);
    }
  });
});

describe('faults and the supervisor', () => {
  const cases: { fault: Parameters<StartedEmulator['emulator']['injectFault']>[0]; reason: string }[] = [
    { fault: { type: 'timeout' }, reason: 'timeout' },
    { fault: { type: 'streaming-exception', message: 'boom' }, reason: 'stream-error' },
    { fault: { type: 'drop' }, reason: 'connection' },
    { fault: { type: 'end' }, reason: 'clean-end' },
  ];
  for (const { fault, reason } of cases) {
    it(`${fault.type}: restarts with reason "${reason}", logs it once, and events flow again`, async () => {
      const h = await harness();
      await h.source.apply(rules(payments), h.config);
      await until(() => h.source.health().ready, 5_000, 'ready');
      await until(() => h.emu.emulator.sessions()[0]?.updatesSent! > 0, 5_000, 'an update');
      expect(h.emu.emulator.injectFault(fault)).toBe(1);
      await until(() => h.metrics.rec.started.length === 2, 5_000, 'second start');
      expect(h.reasons()).toEqual([reason]);
      const warned = h.logs.filter((l) => l['msg'] === 'session restarting');
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ level: 40, reason, session: h.metrics.rec.started[0] });
      h.put('/ecs/payments', 'after');
      await until(() => h.got.messages().includes('after'), 5_000, 'event after restart');
      expect(h.emu.emulator.activeSessionCount()).toBe(1);
    });
  }

  it('restart logs say what broke: ECONNRESET after a socket drop, ECONNREFUSED and the address when the endpoint is down', async () => {
    const h = await harness();
    await h.source.apply(rules(payments), h.config);
    await until(() => h.source.health().ready, 5_000, 'ready');
    await until(() => h.emu.emulator.sessions()[0]?.updatesSent! > 0, 5_000, 'an update');
    h.emu.emulator.injectFault({ type: 'drop' });
    await until(() => h.logs.some((l) => l['msg'] === 'session restarting'), 5_000, 'restart logged');
    expect(h.logs.find((l) => l['msg'] === 'session restarting')).toMatchObject({ reason: 'connection', error: 'ECONNRESET' });
    await h.source.stop();
    const port = new URL(h.emu.endpoint).port;
    await h.emu.close();
    emu = undefined;
    const { logger, lines } = capturingLogger();
    source = createLiveTailSource({ onEvents: () => undefined, config: h.config, logger, env: {} });
    await source.apply(rules(payments), h.config);
    await until(() => lines.some((l) => l['msg'] === 'session restarting'), 5_000, 'restart logged');
    expect(lines.find((l) => l['msg'] === 'session restarting')!['error']).toBe(`ECONNREFUSED (connect 127.0.0.1:${port})`);
  });

  it('stall: no frame for stallAfter of the clock → aborts the stalled session and restarts', async () => {
    const clock = new SteppedClock(Date.now());
    const h = await harness({ sessions: { stallAfterMs: 600 }, source: { timers: clock } });
    await h.source.apply(rules(payments), h.config);
    await until(() => h.source.health().ready, 5_000, 'ready');
    h.emu.emulator.injectFault({ type: 'stall' });
    await new Promise((r) => setTimeout(r, 100)); // frames in flight have arrived
    await clock.advance(599);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.reasons()).toEqual([]);
    await clock.advance(1);
    await until(() => h.metrics.rec.started.length === 2, 5_000, 'restart after stall');
    expect(h.reasons()).toEqual(['stall']);
    expect(h.emu.emulator.stats().ended['closed']).toBe(1); // the stalled one was closed by us
    expect(h.emu.emulator.activeSessionCount()).toBe(1);
  });

  it('throttling: backs off and starts once the refusals end', async () => {
    const h = await harness();
    h.emu.emulator.injectFault({ type: 'refuse', error: 'ThrottlingException', calls: 3 });
    await h.source.apply(rules(payments), h.config);
    expect(h.source.health().ready).toBe(false);
    await until(() => h.source.health().ready, 5_000, 'ready after throttling');
    expect(h.reasons()).toEqual(['throttled', 'throttled', 'throttled']);
    expect(h.metrics.rec.started).toHaveLength(1);
  });

  it('access denied: the rules are unhealthy, retried every slowRetryMs of the clock (not in a loop), healthy again once allowed', async () => {
    const clock = new SteppedClock(Date.now());
    const h = await harness({ source: { slowRetryMs: 400, timers: clock } });
    h.emu.emulator.injectFault({ type: 'refuse', error: 'AccessDeniedException' });
    await h.source.apply(rules(payments), h.config);
    await until(() => h.source.health().unhealthyRules.includes('pay'), 5_000, 'unhealthy');
    expect(h.source.health().ready).toBe(false);
    for (let retries = 1; retries <= 2; retries++) {
      await clock.advance(399);
      await new Promise((r) => setTimeout(r, 50)); // a retry would have been refused by now
      expect(h.reasons()).toHaveLength(retries);
      await clock.advance(1);
      await until(() => h.reasons().length === retries + 1, 5_000, `retry ${retries}`);
    }
    expect(new Set(h.reasons())).toEqual(new Set(['access-denied']));
    h.emu.emulator.injectFault({ type: 'clear' });
    await clock.advance(400);
    await until(() => h.source.health().ready, 5_000, 'ready once allowed');
    expect(h.source.health().unhealthyRules).toEqual([]);
  });

  it('missing log group: ResourceNotFound marks the rule unhealthy; other sessions run', async () => {
    const h = await harness({ source: { slowRetryMs: 10_000 } });
    await h.source.apply(rules(payments, rule({ id: 'ghost', logGroups: ['/does/not/exist'] })), h.config);
    await until(() => h.source.health().unhealthyRules.includes('ghost'), 5_000, 'ghost unhealthy');
    expect(h.reasons()).toEqual(['not-found']);
    expect(h.source.health()).toMatchObject({ ready: false, unhealthyRules: ['ghost'] });
    h.put('/ecs/payments', 'still flowing');
    await until(() => h.got.messages().includes('still flowing'), 5_000, 'payments event');
  });

  it('without accountId: names resolve with DescribeLogGroups; a group that does not exist yet is planned again slowly', async () => {
    const h = await harness({ source: { slowRetryMs: 300 } });
    const config = { ...h.config, aws: { ...h.config.aws, accountId: undefined } };
    await h.source.apply(rules(payments, rule({ id: 'later', logGroups: ['/created/later'] })), config);
    await until(() => h.emu.emulator.activeSessionCount() === 1, 5_000, 'payments session');
    expect(h.source.health().unhealthyRules).toEqual(['later']);
    expect(h.source.health().details.join('\n')).toContain('later: not placed: log group /created/later not found in us-east-1 (account 123456789012)');
    h.emu.emulator.ingest([{ logGroup: '/created/later', logStream: 's', timestamp: Date.now(), message: 'first' }]);
    await until(() => h.emu.emulator.activeSessionCount() === 2, 5_000, 'the new group gets its session');
    await until(() => h.source.health().ready && h.source.health().unhealthyRules.length === 0, 5_000, 'healthy');
    expect(h.emu.emulator.stats().started).toBe(2); // the payments session was kept
  });

  it('rotation: restarts proactively at rotateAfter of the clock, one session open at a time', async () => {
    const clock = new SteppedClock(Date.now());
    const h = await harness({ sessions: { rotateAfterMs: 400 }, source: { timers: clock } });
    await h.source.apply(rules(payments), h.config);
    for (let n = 1; n <= 2; n++) {
      await until(() => h.metrics.rec.started.length === n, 5_000, `session ${n} started`);
      await clock.advance(399);
      await new Promise((r) => setTimeout(r, 50));
      expect(h.reasons()).toHaveLength(n - 1);
      await clock.advance(1);
      await until(() => h.metrics.rec.started.length === n + 1, 5_000, `rotation ${n}`);
      expect(h.emu.emulator.activeSessionCount()).toBeLessThanOrEqual(1);
    }
    expect(h.reasons()).toEqual(['rotation', 'rotation']);
    expect(h.source.health().ready).toBe(true);
  });
});

describe('the concurrency quota', () => {
  it('LimitExceeded: the session beyond the quota backs off exponentially on the clock (not a crash loop) and starts when a slot frees', async () => {
    // random 0: each backoff is the low end of its jitter, initial/2 doubling up to max/2 (25, 50, 100, 100 ms).
    const clock = new SteppedClock(Date.now());
    const h = await harness({ emulator: { maxConcurrentSessions: 2 }, groups: ['/a', '/b', '/c'], source: { timers: clock, random: () => 0 } });
    const rs = rules(rule({ id: 'a', logGroups: ['/a'] }), rule({ id: 'b', logGroups: ['/b'] }), rule({ id: 'c', logGroups: ['/c'] }));
    await h.source.apply(rs, h.config);
    await until(() => h.reasons().length === 1 && h.emu.emulator.activeSessionCount() === 2, 5_000, 'one session over the quota');
    for (const [i, delayMs] of [25, 50, 100, 100].entries()) {
      await clock.advance(delayMs - 1);
      await new Promise((r) => setTimeout(r, 50)); // a retry would have been refused by now
      expect(h.reasons()).toHaveLength(i + 1);
      await clock.advance(1);
      await until(() => h.reasons().length === i + 2, 5_000, `retry ${i + 1}`);
    }
    expect(new Set(h.reasons())).toEqual(new Set(['limit-exceeded']));
    expect(h.emu.emulator.activeSessionCount()).toBe(2);
    expect(h.source.health().ready).toBe(false);
    // Frees one slot by reloading without rule a: the third session gets it at a next retry (the
    // emulator frees the slot once it sees the stream closed).
    await h.source.apply(rules(rs.rules[1]!, rs.rules[2]!), h.config);
    await clock.runWhile(until(() => h.source.health().ready, 5_000, 'ready with two sessions'));
    expect(h.emu.emulator.activeSessionCount()).toBe(2);
  });
});

describe('reload and shutdown', () => {
  it('apply keeps the sessions whose parameters did not change and swaps only the others', async () => {
    const h = await harness({ groups: ['/a', '/b', '/c'] });
    const a = rule({ id: 'a', logGroups: ['/a'] });
    await h.source.apply(rules(a, rule({ id: 'b', logGroups: ['/b'] })), h.config);
    await until(() => h.source.health().ready && h.emu.emulator.activeSessionCount() === 2, 5_000, 'two sessions');
    const before = h.emu.emulator.sessions().find((s) => s.request.logGroupIdentifiers[0]!.endsWith('/a'))!.sessionId;
    await h.source.apply(rules(a, rule({ id: 'a2', logGroups: ['/a'] }), rule({ id: 'c', logGroups: ['/c'] })), h.config);
    await until(() => h.source.health().ready && h.emu.emulator.activeSessionCount() === 2, 5_000, 'a and c');
    const now = h.emu.emulator.sessions();
    expect(now.map((s) => s.request.logGroupIdentifiers[0]!.split(':').pop()).sort()).toEqual(['/a', '/c']);
    expect(now.find((s) => s.request.logGroupIdentifiers[0]!.endsWith('/a'))!.sessionId).toBe(before);
    expect(h.emu.emulator.stats().started).toBe(3);
    expect(h.source.health().details.some((d) => d.includes('[a, a2]'))).toBe(true);
  });

  it('a kept session that gains a rule with a clock of its own starts again, backfilling, under a new source id', async () => {
    const clocks = new Map<string, number>();
    const h = await harness({ groups: ['/a'], source: {
        resumeFrom: (ids) => {
          const known = ids.flatMap((id) => (clocks.has(id) ? [clocks.get(id)!] : []));
          return known.length > 0 ? Math.min(...known) : undefined;
        },
      },
    });
    const a = rule({ id: 'a', logGroups: ['/a'] });
    await h.source.apply(rules(a), h.config);
    await until(() => h.source.health().ready, 5_000, 'ready');
    const [first] = h.source.sourceIds();
    // a2 reads the same source, and comes with a clock (another session served it until now).
    clocks.set('a2', Date.now() - 10_000);
    await h.source.apply(rules(a, rule({ id: 'a2', logGroups: ['/a'] })), h.config);
    await until(() => h.source.health().ready && h.emu.emulator.stats().started === 2, 5_000, 'the session started again');
    // Same parameters, new source id: the engine counts what it re-delivers against the earlier session's copies.
    expect(h.source.sourceIds()).toEqual([`${first}.1`]);
    await until(() => h.got.batches.some((b) => b.source === `${first}.1` && b.rules.includes('a2')), 5_000, 'batches under the new id');
  });

  it('a rule switched from live to polled by a reload: its session closes, its poll starts from its clock (nothing in between missed), and back', async () => {
    const clocks = new Map<string, number>();
    const h = await harness({ groups: ['/a'], source: { resumeFrom: (ids) => ids.map((id) => clocks.get(id)).find((c) => c !== undefined) } });
    const live = rule({ id: 'a', logGroups: ['/a'] });
    await h.source.apply(rules(live), h.config);
    await until(() => h.source.health().ready, 5_000, 'the session');
    // What the rule decided so far (its clock): the poll must read from there.
    const clock = Date.now() - 1;
    clocks.set('a', clock);
    h.put('/a', 'between the clock and the switch');
    const polled = rule({ id: 'a', logGroups: ['/a'], feed: { poll: '1s', lag: '0s' } });
    await h.source.apply(rules(polled), h.config);
    await h.emu.emulator.waitForActiveSessions(0, 3_000);
    const [pollId] = h.source.sourceIds();
    expect(pollId).toMatch(/^pl-[0-9a-f]{8}$/);
    await until(() => h.got.batches.some((b) => b.source === pollId && b.events.some((e) => e.message === 'between the clock and the switch')), 5_000, 'the poll reads from the rule clock');
    await until(() => h.source.health().ready, 5_000, 'ready when polled');
    expect(h.source.health().details.some((d) => d.startsWith(`${pollId}: polling every 1 s`))).toBe(true);
    // And back: a session again, backfilling from the rule's clock.
    clocks.set('a', Date.now() - 1);
    h.put('/a', 'before going live again');
    await h.source.apply(rules(live), h.config);
    await h.emu.emulator.waitForActiveSessions(1, 3_000);
    expect(h.source.sourceIds()[0]).toMatch(/^lt-/);
    await until(() => h.got.batches.some((b) => b.source.startsWith('lt-') && b.events.some((e) => e.message === 'before going live again')), 5_000, 'the session backfills from the rule clock');
  });

  it('stop closes every session on the server side, is idempotent, and resolves after the loops ended', async () => {
    const h = await harness({ groups: ['/a', '/b', '/c'] });
    await h.source.apply(rules(rule({ id: 'a', logGroups: ['/a'] }), rule({ id: 'b', logGroups: ['/b'] }), rule({ id: 'c', logGroups: ['/c'] })), h.config);
    await h.emu.emulator.waitForActiveSessions(3);
    await Promise.all([h.source.stop(), h.source.stop()]);
    await h.emu.emulator.waitForActiveSessions(0, 2_000);
    const admin = (await (await fetch(h.emu.endpoint + '/_emulator/sessions')).json()) as { active: number; ended: Record<string, number> };
    expect(admin.active).toBe(0);
    expect(admin.ended['closed']).toBe(3);
    await h.source.stop();
    expect(h.reasons()).toEqual([]); // stopping is no restart
    await new Promise((r) => setTimeout(r, 200));
    expect(h.emu.emulator.stats().started).toBe(3); // nothing reopened
  });
});

describe('into the engine', () => {
  it('events from a shared session reach only the rules whose group, pattern and conditions they pass', async () => {
    const { Engine } = await import('../../src/engine/index.js');
    const h = await harness({ groups: ['/a', '/b'], sessions: { maxConcurrent: 1 } });
    const rs = rules(
      rule({ id: 'a-err', logGroups: ['/a'], filterPattern: 'ERROR' }),
      rule({ id: 'b-warn', logGroups: ['/b'], filterPattern: 'WARN' }),
    );
    const engine = new Engine({ rules: rs, silences: [] });
    const fired: string[] = [];
    const src = createLiveTailSource({ onEvents: ({ events: evs }) => evs.forEach((e) => engine.ingest(e).forEach((r) => fired.push(`${r.alert.rule.id}:${e.message}`))), config: h.config, logger: capturingLogger().logger, env: {} });
    source = src;
    await h.source.stop();
    await src.apply(rs, h.config);
    await h.emu.emulator.waitForActiveSessions(1);
    expect(h.emu.emulator.sessions()[0]!.request.logEventFilterPattern).toBe('?ERROR ?WARN');
    await until(() => src.health().ready, 5_000, 'ready');
    h.put('/a', 'ERROR in a', 'WARN in a');
    h.put('/b', 'ERROR in b', 'WARN in b');
    await until(() => fired.length >= 2, 5_000, 'two alerts');
    await new Promise((r) => setTimeout(r, 200));
    expect(fired.sort()).toEqual(['a-err:ERROR in a', 'b-warn:WARN in b']);
  });
});

describe('a missing or denied log group in a shared session', () => {
  const LAMBDA = '/aws/lambda/not-yet-invoked';
  const unavailable = (h: Harness) => h.logs.filter((l) => /: left out of its session, retried every \d+ s and at SIGHUP$/.test(String(l['msg'])));

  it('economical: only the rule of the missing group is unhealthy, the other keeps alerting; the group appears → its rule recovers', async () => {
    const h = await harness({ sessions: { strategy: 'economical' }, source: { slowRetryMs: 300 }, groups: ['/app/one'] });
    const rs = rules(rule({ id: 'one', logGroups: ['/app/one'] }), rule({ id: 'lambda', logGroups: [LAMBDA] }));
    await h.source.apply(rs, h.config);
    // The planner packs both groups into one session; the service refuses it as a whole.
    expect((h.source as LiveTailSource).plan()!.sessions.map((s) => s.params.logGroupIdentifiers.length)).toEqual([2]);
    await until(() => h.reasons().includes('not-found'), 5_000, 'the shared session refused');
    await until(() => h.source.health().ready, 5_000, 'ready without the missing group');
    expect(h.source.health().unhealthyRules).toEqual(['lambda']);
    expect(h.source.health().details.join('\n')).toContain(`lambda: not placed: log group "${LAMBDA}": not found in us-east-1 (account 123456789012) (ResourceNotFoundException (HTTP 400))`);
    expect(h.emu.emulator.sessions().map((s) => s.request.logGroupIdentifiers)).toEqual([['arn:aws:logs:us-east-1:123456789012:log-group:/app/one']]);
    h.put('/app/one', 'still alerting');
    await until(() => h.got.messages().includes('still alerting'), 5_000, 'the event of the healthy rule');
    // Slow retries of the missing group are probes: no new session, one log line for the group.
    await new Promise((r) => setTimeout(r, 700));
    expect(unavailable(h)).toHaveLength(1);
    expect(unavailable(h)[0]).toMatchObject({ logGroup: LAMBDA, reason: 'not-found', error: 'ResourceNotFoundException (HTTP 400)', rules: ['lambda', 'one'] });
    expect(h.source.health().unhealthyRules).toEqual(['lambda']);
    // The first invocation creates the group: it goes back into the session.
    h.emu.emulator.ingest([{ logGroup: LAMBDA, logStream: 's', timestamp: Date.now() - 60_000, message: 'first' }]);
    await until(() => h.emu.emulator.sessions().some((s) => s.request.logGroupIdentifiers.length === 2), 5_000, 'one session on both groups');
    await until(() => h.source.health().ready && h.source.health().unhealthyRules.length === 0, 5_000, 'healthy');
    h.put(LAMBDA, 'lambda event');
    h.put('/app/one', 'one event');
    await until(() => h.got.messages().includes('lambda event') && h.got.messages().includes('one event'), 5_000, 'both rules served');
    expect(h.logs.some((l) => l['msg'] === 'log group available again: back in its session' && l['logGroup'] === LAMBDA)).toBe(true);
  });

  it('access denied for one group (IAM denies one resource): only its rule is unhealthy; allowed again → recovers', async () => {
    const h = await harness({ sessions: { strategy: 'economical' }, source: { slowRetryMs: 300 }, groups: ['/app/one', '/app/two'] });
    h.emu.emulator.injectFault({ type: 'refuse', error: 'AccessDeniedException', logGroupName: '/app/two' });
    await h.source.apply(rules(rule({ id: 'one', logGroups: ['/app/one'] }), rule({ id: 'two', logGroups: ['/app/two'] })), h.config);
    await until(() => h.source.health().ready, 5_000, 'ready without the denied group');
    expect(h.reasons()).toEqual(['access-denied']);
    expect(h.source.health().unhealthyRules).toEqual(['two']);
    expect(unavailable(h).map((l) => [l['logGroup'], l['reason']])).toEqual([['/app/two', 'access-denied']]);
    h.put('/app/one', 'allowed');
    await until(() => h.got.messages().includes('allowed'), 5_000, 'the event of the allowed group');
    h.emu.emulator.injectFault({ type: 'clear' });
    await until(() => h.source.health().ready && h.source.health().unhealthyRules.length === 0, 5_000, 'healthy once allowed');
    h.put('/app/two', 'two now');
    await until(() => h.got.messages().includes('two now'), 5_000, 'the event of the group allowed again');
  });

  it('a rule with a good and a missing group is served on the good one and reported unhealthy (partly served)', async () => {
    const h = await harness({ source: { slowRetryMs: 10_000 }, groups: ['/app/one'] });
    await h.source.apply(rules(rule({ id: 'multi', logGroups: ['/app/one', '/gone'] }), rule({ id: 'one', logGroups: ['/app/one'] })), h.config);
    await until(() => h.source.health().ready, 5_000, 'ready');
    expect(h.source.health().unhealthyRules).toEqual(['multi']);
    expect(h.source.health().details.join('\n')).toContain('multi: partly served: served without log group "/gone": not found');
    const active = h.emu.emulator.sessions();
    expect(active.map((s) => s.request.logGroupIdentifiers)).toEqual([['arn:aws:logs:us-east-1:123456789012:log-group:/app/one']]);
    h.put('/app/one', 'served');
    await until(() => h.got.messages().includes('served'), 5_000, 'events of the good group');
  });

  it('a session of one missing group is its own probe: no probing, its rule alone unhealthy', async () => {
    const h = await harness({ source: { slowRetryMs: 10_000 }, groups: ['/app/one'] });
    await h.source.apply(rules(rule({ id: 'ghost', logGroups: ['/gone'] }), rule({ id: 'one', logGroups: ['/app/one'] })), h.config);
    await until(() => h.source.health().unhealthyRules.includes('ghost'), 5_000, 'ghost unhealthy');
    expect(h.source.health().unhealthyRules).toEqual(['ghost']);
    expect(unavailable(h)).toEqual([]);
    // Logged and in /readyz's details with the group, the region and the account.
    const named = 'log group /gone not found in us-east-1 (account 123456789012)';
    await until(() => h.logs.some((l) => l['msg'] === `${named}: its rules wait, retried every 10 s and at SIGHUP`), 5_000, 'the group named in the log');
    expect(h.logs.find((l) => String(l['msg']).startsWith(named))).toMatchObject({ logGroup: '/gone', region: 'us-east-1', account: '123456789012', reason: 'not-found', rules: ['ghost'] });
    expect(h.source.health().details.join('\n')).toContain(`(failing: not-found: ${named}) [ghost]`);
  });
});

describe('retryUnhealthy (SIGHUP): what waits for the slow retry tries again now', () => {
  const SLOW = { slowRetryMs: 600_000 };

  it('a session of one missing group starts at once once the group exists', async () => {
    const h = await harness({ source: SLOW, groups: ['/app/one'] });
    await h.source.apply(rules(rule({ id: 'ghost', logGroups: ['/later'] })), h.config);
    await until(() => h.source.health().unhealthyRules.includes('ghost'), 5_000, 'ghost unhealthy');
    h.emu.emulator.ingest([{ logGroup: '/later', logStream: 's', timestamp: Date.now() - 1_000, message: 'first' }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.source.health().unhealthyRules).toEqual(['ghost']); // the slow retry is 10 minutes away
    h.source.retryUnhealthy!();
    await until(() => h.source.health().ready && h.source.health().unhealthyRules.length === 0, 5_000, 'healthy after the retry');
  });

  it('a group left out of a shared session is probed again at once and goes back in', async () => {
    const h = await harness({ sessions: { strategy: 'economical' }, source: SLOW, groups: ['/app/one', '/app/two'] });
    h.emu.emulator.injectFault({ type: 'refuse', error: 'AccessDeniedException', logGroupName: '/app/two' });
    await h.source.apply(rules(rule({ id: 'one', logGroups: ['/app/one'] }), rule({ id: 'two', logGroups: ['/app/two'] })), h.config);
    await until(() => h.source.health().ready && h.source.health().unhealthyRules.includes('two'), 5_000, 'two left out');
    expect(h.source.health().details.join('\n')).toContain('two: not placed: log group "/app/two": access denied in us-east-1 (account 123456789012)');
    expect(unavailableLogs(h)).toEqual(['access denied to log group /app/two in us-east-1 (account 123456789012): left out of its session, retried every 600 s and at SIGHUP']);
    h.emu.emulator.injectFault({ type: 'clear' });
    h.source.retryUnhealthy!();
    await until(() => h.source.health().ready && h.source.health().unhealthyRules.length === 0, 5_000, 'healthy after the retry');
  });

  it('without accountId: a name not found is looked up again at once', async () => {
    const h = await harness({ source: SLOW });
    const config = { ...h.config, aws: { ...h.config.aws, accountId: undefined } };
    await h.source.apply(rules(payments, rule({ id: 'later', logGroups: ['/created/later'] })), config);
    await until(() => h.emu.emulator.activeSessionCount() === 1, 5_000, 'payments session');
    h.emu.emulator.ingest([{ logGroup: '/created/later', logStream: 's', timestamp: Date.now(), message: 'first' }]);
    h.source.retryUnhealthy!();
    await until(() => h.emu.emulator.activeSessionCount() === 2, 5_000, 'the new group gets its session at once');
  });
});

describe('the plan is logged with its cost', () => {
  it('at the first apply, and again only when the sessions change', async () => {
    const h = await harness({ sessions: { pricePerMinute: 0.02 }, groups: ['/ecs/payments', '/ecs/orders'] });
    const plans = () => h.logs.filter((l) => String(l['msg']).startsWith('Live Tail plan:'));
    await h.source.apply(rules(payments), h.config);
    await h.source.apply(rules(payments), h.config);
    expect(plans()).toHaveLength(1);
    expect(plans()[0]).toMatchObject({
      msg: 'Live Tail plan: 1 session, $864.00/month at $0.02 per session-minute',
      monthlyCost: 864,
      pricePerMinute: 0.02,
      sessions: [{ region: 'us-east-1', logGroups: ['/ecs/payments'], rules: ['pay'], monthlyCost: 864 }],
    });
    await h.source.apply(rules(payments, rule({ id: 'orders', logGroups: ['/ecs/orders'] })), h.config);
    expect(plans().map((l) => l['msg'])).toEqual(['Live Tail plan: 1 session, $864.00/month at $0.02 per session-minute', 'Live Tail plan: 2 sessions, $1728.00/month at $0.02 per session-minute']);
  });
});
