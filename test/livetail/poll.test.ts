/**
 * PolledSource against the emulator (real SDK over HTTP), with the poll's
 * timers and the emulator's clock stepped together: windows (covered,
 * now − lag], each event once, watermark = now − lag, paging through empty
 * and partial pages, the ingestion delay, resuming from a checkpoint, the
 * budget, overruns and failures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/model/event.js';
import { FilterBudget } from '../../src/livetail/budget.js';
import { PolledSource } from '../../src/livetail/poll.js';
import { pollId, type PollSpec } from '../../src/livetail/spec.js';
import { makeClient, startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { capturingLogger, Collector } from '../kit/livetail.js';
import { until } from '../kit/until.js';
import { SteppedClock } from '../kit/stepped-clock.js';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

let emu: StartedEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

function spec(arn: string, intervalMs: number, lagMs: number, pattern?: string): PollSpec {
  const params = { logGroupIdentifiers: [arn], ...(pattern ? { logEventFilterPattern: pattern } : {}) };
  return { id: pollId('us-east-1', params, intervalMs, lagMs), region: 'us-east-1', params, intervalMs, lagMs, rules: ['r'], callsPerMinute: 60_000 / intervalMs };
}

async function setup(opts: { ingestionDelayMs?: number; maxFilterScan?: number } = {}) {
  const timers = new SteppedClock(T0);
  emu = await startEmulator({ clock: () => timers.now(), ...opts });
  const api = makeClient(emu.endpoint);
  const arn = emu.emulator.logGroupArn('/jobs');
  emu.emulator.ingest([{ logGroup: '/jobs', logStream: 's', timestamp: T0 - 100_000, message: 'before the poll started' }]);
  return { timers, api, arn, emulator: emu.emulator };
}

const put = (emulator: StartedEmulator['emulator'], ts: number, message: string): void => emulator.ingest([{ logGroup: '/jobs', logStream: 's', timestamp: ts, message }]);

describe('a poll', () => {
  it('reads (covered, now − lag] every interval, each event once, through empty and partial pages, behind the ingestion delay', async () => {
    const { timers, api, arn, emulator } = await setup({ ingestionDelayMs: 2_000, maxFilterScan: 2 });
    emulator.setIngestionDelay(2_000);
    const got = new Collector();
    const { logger } = capturingLogger();
    const calls: string[] = [];
    const poll = new PolledSource(spec(arn, 10_000, 3_000, 'ERROR'), { api, onEvents: got.handler, logger, timers, slowRetryMs: 60_000, metrics: { polled: (p, n) => void calls.push(`${p}:${n}`) } });
    poll.start();
    expect(got.batches[0]).toEqual({ source: poll.sourceId, rules: ['r'], events: [] }); // announced, no watermark yet
    await timers.advance(0);
    await until(() => got.batches.length === 2, 5_000, 'first poll');
    expect(got.batches[1]!.watermark).toBe(T0 - 3_000);
    // Events of the next 10 s, some not matching (partial and empty pages), one right at the window's end.
    for (let i = 1; i <= 7; i++) put(emulator, T0 + i * 1_000, i % 2 ? `ERROR ${i}` : `INFO ${i}`);
    await timers.advance(10_000); // now T0+10s: window (T0−3s, T0+7s]; each event was ingested at T0 (older than 2 s)
    await until(() => got.batches.length === 3, 5_000, 'second poll');
    expect(got.messages()).toEqual(['ERROR 1', 'ERROR 3', 'ERROR 5', 'ERROR 7']);
    expect(got.batches[2]!.watermark).toBe(T0 + 7_000);
    put(emulator, T0 + 8_000, 'ERROR 8');
    await timers.advance(1_000); // ingested at T0+10s: not searchable before T0+12s
    await timers.advance(9_000);
    await until(() => got.batches.length === 4, 5_000, 'third poll');
    expect(got.messages()).toEqual(['ERROR 1', 'ERROR 3', 'ERROR 5', 'ERROR 7', 'ERROR 8']);
    expect(got.batches[3]!.watermark).toBe(T0 + 17_000);
    expect(got.events.every((e: LogEvent) => e.logGroup === '/jobs' && e.logStream === 's')).toBe(true);
    await poll.stop();
    api.destroy();
  });

  it('resumes from its checkpoint: nothing at or before it again, nothing after it skipped', async () => {
    const { timers, api, arn, emulator } = await setup();
    put(emulator, T0 - 20_000, 'decided before the restart');
    put(emulator, T0 - 10_000, 'at the checkpoint');
    put(emulator, T0 - 9_999, 'after the checkpoint');
    const got = new Collector();
    const poll = new PolledSource(spec(arn, 5_000, 1_000), { api, onEvents: got.handler, logger: capturingLogger().logger, timers, slowRetryMs: 60_000, resumeFrom: T0 - 10_000 });
    poll.start();
    await timers.advance(0);
    await until(() => got.batches.length === 2, 5_000, 'first poll');
    expect(got.messages()).toEqual(['after the checkpoint']);
    expect(got.batches.at(-1)!.watermark).toBe(T0 - 1_000);
    await poll.stop();
    api.destroy();
  });

  it('waits for the budget behind live work, counts and logs an overrun, and shows how far behind it is', async () => {
    const { timers, api, arn } = await setup();
    const budget = new FilterBudget(1, timers);
    await budget.acquire('backfill'); // the bucket is empty: the poll waits a second
    const got = new Collector();
    const { logger, lines } = capturingLogger();
    const overruns: string[] = [];
    const poll = new PolledSource(spec(arn, 1_000, 0), { api, budget, onEvents: got.handler, logger, timers, slowRetryMs: 60_000, metrics: { pollOverrun: (p) => void overruns.push(p) } });
    poll.start();
    // Two backfills take the next tokens first (+1 s, +2 s).
    void budget.acquire('backfill');
    void budget.acquire('backfill');
    await timers.advance(0); // the first window (T0, T0] is empty: read without a call
    expect(got.batches).toHaveLength(2);
    await timers.advance(2_000); // the poll due at +1 s waits behind both backfills
    expect(budget.queued).toBe(1);
    expect(got.batches).toHaveLength(2);
    await timers.advance(1_000); // +3 s: its token (the call crosses real HTTP; the clock stays)
    await until(() => got.batches.length === 3, 5_000, 'the poll after the budget');
    expect(got.batches[2]!.watermark).toBe(T0 + 1_000);
    expect(poll.status().behindMs).toBe(2_000);
    // The next poll was due at +2 s: it starts at +3 s (the clock has not moved since), an interval late.
    await timers.advance(0);
    await until(() => overruns.length === 1, 5_000, 'an overrun');
    const logged = lines.filter((l) => l['msg'] === 'poll cannot keep up: started an interval or more after it was due (FilterLogEvents budget or service too slow)');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ lateMs: 1_000, intervalMs: 1_000 });
    await poll.stop();
    api.destroy();
  });

  it('reads the same window again after a failure; a missing log group makes its rules unhealthy', async () => {
    const { timers, api } = await setup();
    const got = new Collector();
    const { logger, lines } = capturingLogger();
    const missing = emu!.emulator.logGroupArn('/nope');
    const poll = new PolledSource(spec(missing, 1_000, 0), { api, onEvents: got.handler, logger, timers, slowRetryMs: 60_000 });
    poll.start();
    await timers.advance(0); // an empty window (lag 0): nothing to read yet
    await until(() => got.batches.length === 2, 5_000, 'the first, empty window');
    await timers.advance(1_000);
    await until(() => poll.status().failing, 5_000, 'the failure');
    expect(poll.status()).toMatchObject({ failing: true, unhealthy: true, lastReason: 'not-found' });
    expect(lines.find((l) => l['msg'] === 'poll failed: the same window is read again')).toMatchObject({ reason: 'not-found', unhealthyRules: ['r'], retryInMs: 60_000 });
    expect(got.batches).toHaveLength(2); // its watermark holds: its rules wait
    emu!.emulator.ingest([{ logGroup: '/nope', logStream: 's', timestamp: T0 + 30_000, message: 'now it exists' }]);
    await timers.advance(60_000);
    await until(() => got.events.length === 1, 5_000, 'the retry');
    expect(got.batches.at(-1)!.watermark).toBe(T0 + 61_000);
    expect(poll.status()).toMatchObject({ failing: false, unhealthy: false, polledOnce: true });
    await poll.stop();
    api.destroy();
  });
});
