/**
 * Alerts decided while the outbox cannot write (disk full): held in memory,
 * bounded, retried with backoff, stored in order once the outbox takes them;
 * meanwhile `/readyz` says why, the metrics count, and the engine state is
 * not saved ahead of the outbox. The daemon runs in-process on the real
 * outbox with SQLITE_FULL injected into its writes and a stepped clock (the
 * same with a real full disk: test/daemon/full-disk.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon, type RunningDaemon, type StageContext } from '../../src/daemon/daemon.js';
import { HeldAlerts } from '../../src/daemon/held-alerts.js';
import type { EventsHandler } from '../../src/model/ports.js';
import type { LogEvent, SourceBatch } from '../../src/model/event.js';
import type { RoutedAlert } from '../../src/model/alert.js';
import { createOutboxSink } from '../../src/notify/index.js';
import { sampleAlert } from '../kit/alerts.js';
import { diskFull, failingStore, type FailingStore } from '../kit/failing-store.js';
import { captureLog, type CapturedLog } from '../kit/log.js';
import { daemonProject } from '../kit/project.js';
import { receiversPerTest, type Receiver } from '../kit/receiver.js';
import { SteppedClock } from '../kit/stepped-clock.js';
import { until } from '../kit/until.js';

const routed = (): RoutedAlert => ({ alert: sampleAlert(), destinations: ['a', 'b'] });
const BACKOFF = { initialMs: 1_000, maxMs: 10_000 };

describe('held alerts', () => {
  it('back off from 1 s, doubling up to the cap, and are stored all at once, in order, when the store takes them', () => {
    const held = new HeldAlerts({ max: 100, backoff: BACKOFF });
    const first = [routed(), routed()];
    held.hold(first, 0, diskFull());
    expect(held.due(999)).toBe(false);
    expect(held.due(1_000)).toBe(true);
    const attempts: number[] = [];
    let t = 1_000;
    for (let i = 0; i < 6; i++) {
      expect(held.flush(t, () => { throw diskFull(); })).toEqual({ error: expect.objectContaining({ code: 'SQLITE_FULL' }) });
      attempts.push(held.retryAt - t);
      t = held.retryAt;
    }
    expect(attempts).toEqual([2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
    const later = [routed()];
    held.hold(later, t);
    let stored: { id: string; at: number }[] = [];
    expect(held.flush(t, (batch) => void (stored = batch.map((h) => ({ id: h.routed.alert.id, at: h.at }))))).toEqual({ stored: 3, unstorable: [] });
    expect(stored).toEqual([...first.map((r) => ({ id: r.alert.id, at: 0 })), { id: later[0]!.alert.id, at: t }]);
    expect(held.size).toBe(0);
    expect(held.lastError).toBeUndefined();
    // The backoff starts over at the next failure.
    held.hold([routed()], t, diskFull());
    expect(held.retryAt - t).toBe(1_000);
  });

  it('keep at most `max`: the oldest make room and are handed back', () => {
    const held = new HeldAlerts({ max: 3, backoff: BACKOFF });
    const all = Array.from({ length: 5 }, routed);
    expect(held.hold(all.slice(0, 2), 0, diskFull())).toEqual([]);
    expect(held.hold(all.slice(2), 1).map((h) => h.routed)).toEqual(all.slice(0, 2));
    expect(held.size).toBe(3);
  });

  it('an alert that cannot be serialized (not a storage error) is handed back instead of blocking the others', () => {
    const held = new HeldAlerts({ max: 10, backoff: BACKOFF });
    const [a, bad, c] = [routed(), routed(), routed()];
    held.hold([a!, bad!, c!], 0, diskFull());
    const stored: string[] = [];
    const r = held.flush(1_000, (batch) => {
      if (batch.some((h) => h.routed === bad)) throw new TypeError('Do not know how to serialize a BigInt');
      stored.push(...batch.map((h) => h.routed.alert.id));
    });
    expect(r).toEqual({ stored: 2, unstorable: [expect.objectContaining({ routed: bad })] });
    expect(stored).toEqual([a!.alert.id, c!.alert.id]);
    expect(held.size).toBe(0);
  });
});

const { receiver } = receiversPerTest();
const daemons: RunningDaemon[] = [];
afterEach(async () => {
  while (daemons.length) await daemons.pop()!.stop();
});

interface Harness {
  daemon: RunningDaemon;
  onEvents: EventsHandler;
  store: FailingStore;
  log: CapturedLog;
  rx: Receiver;
  dir: string;
  /** The daemon's clock and timers; the outbox reads its time but keeps real timers (its deliveries cross real sockets). */
  clock: SteppedClock;
  metrics: () => Promise<string>;
}

async function harness(maxHeldAlerts?: number): Promise<Harness> {
  const rx = await receiver();
  const dir = daemonProject(`rules:\n  - id: every-error\n    source: { logGroups: [/app], filterPattern: '{ $.level = "ERROR" }' }\n`, {
    prefix: 'tw-held-',
    hookUrl: `${rx.url}/hook`,
    extra: 'delivery: { retry: { initial: 50ms, max: 200ms } }\n',
  });
  const clock = new SteppedClock(Date.now());
  const store = failingStore();
  const log = captureLog('info');
  let handler: EventsHandler | undefined;
  let ctx: StageContext | undefined;
  const daemon = new Daemon({
    load: { configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir },
    logger: log.logger,
    timers: clock,
    tickMs: 100,
    maxHeldAlerts,
    createSource: (onEvents) => {
      handler = onEvents;
      return { apply: async () => {}, health: () => ({ ready: true, details: [], unhealthyRules: [] }), sourceIds: () => ['s'], stop: async () => {} };
    },
    createSink: (c) => {
      ctx = c;
      const m = c.metrics;
      return createOutboxSink({
        stateDir: c.config.state.dir,
        destinations: c.config.destinations,
        delivery: c.config.delivery,
        logger: c.logger,
        now: () => clock.now(),
        openStore: store.open,
        metrics: {
          delivered: (destination, n) => m.delivered.inc({ destination }, n),
          failed: (destination, reason) => m.deliveryFailed.inc({ destination, reason }),
          dropped: (destination, reason) => m.deliveryDropped.inc({ destination, reason }),
          writeFailed: () => m.outboxWriteErrors.inc(),
        },
      });
    },
  });
  const running = await daemon.start();
  daemons.push(running);
  return { daemon: running, onEvents: handler!, store, log, rx, dir, clock, metrics: () => ctx!.metrics.registry.metrics() };
}

let ts = Date.now() - 60_000;
/** One update with `n` ERROR events, the session's watermark at the newest. */
function update(n: number): SourceBatch {
  const events: LogEvent[] = Array.from({ length: n }, () => ({ timestamp: ++ts, logGroup: '/app', logStream: 's', message: `{"level":"ERROR","n":${ts}}` }));
  return { source: 's', rules: ['every-error'], events, watermark: ts };
}

const metric = (text: string, line: RegExp): number => Number(line.exec(text)?.[1] ?? NaN);

describe('the daemon when the outbox cannot write', () => {
  it('holds what it decides, says why on /readyz, counts, saves no state ahead of the outbox, and stores and sends everything in order once it can', async () => {
    const h = await harness();
    h.onEvents(update(1));
    await until(() => h.rx.requests.length === 1);
    // The state saved with every alert stored.
    const stateFile = path.join(h.dir, 'state/engine-state.json');
    const savedState = readFileSync(stateFile, 'utf8');

    h.store.failing.add('enqueueMany');
    const t1 = h.clock.now();
    h.onEvents(update(3));
    await h.clock.advance(500);
    h.onEvents(update(2));
    expect(h.store.failures.get('enqueueMany')).toBe(1); // the second update waited for the backoff
    const r = h.daemon.readiness();
    expect(r.ready).toBe(false);
    expect(r.details).toContain('outbox cannot write: disk full (SQLITE_FULL); 5 alert(s) held in memory, retrying');
    const text = await h.metrics();
    expect(metric(text, /^tailwatch_outbox_held_alerts (\d+)$/m)).toBe(5);
    expect(metric(text, /^tailwatch_outbox_write_errors_total (\d+)$/m)).toBe(1);
    expect(h.log.lines.filter((l) => l['msg'] === 'outbox cannot write: alerts held in memory until it can')).toHaveLength(1);

    // Ticks within the backoff do not try; past it they do (and back off further).
    await h.clock.advanceTo(t1 + 900);
    expect(h.store.failures.get('enqueueMany')).toBe(1);
    await h.clock.advanceTo(t1 + 1_000);
    expect(h.store.failures.get('enqueueMany')).toBe(2);
    await h.clock.advance(10_000);
    expect(readFileSync(stateFile, 'utf8')).toBe(savedState);
    expect(h.rx.requests).toHaveLength(1);

    h.store.failing.clear();
    await h.clock.advance(10_000);
    await until(() => h.rx.requests.length === 6);
    expect(h.daemon.readiness()).toMatchObject({ ready: true });
    expect(metric(await h.metrics(), /^tailwatch_outbox_held_alerts (\d+)$/m)).toBe(0);
    // Stored with the time each was decided: they lease in that order, before anything decided later.
    const decided = h.log.lines.filter((l) => l['msg'] === 'alert').map((l) => String(l['alert']));
    const db = new Database(path.join(h.dir, 'state/outbox.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT alert_id AS id, created_at AS at FROM delivery').all() as { id: string; at: number }[];
    db.close();
    const at = new Map(rows.map((r) => [r.id, r.at - t1]));
    expect(decided.slice(1).map((id) => at.get(id))).toEqual([0, 0, 0, 500, 500]);
    await until(() => readFileSync(stateFile, 'utf8') !== savedState);
  });

  it('beyond the memory bound drops the oldest held alerts, counted per destination, in one log line', async () => {
    const h = await harness(4);
    h.store.failing.add('enqueueMany');
    h.onEvents(update(3));
    h.onEvents(update(3));
    expect(h.daemon.readiness().details).toContain('outbox cannot write: disk full (SQLITE_FULL); 4 alert(s) held in memory, retrying');
    expect(await h.metrics()).toMatch(/^tailwatch_alerts_dropped_total\{destination="hook",reason="outbox-unwritable"\} 2$/m);
    const lines = h.log.lines.filter((l) => l['msg'] === 'outbox cannot write and the memory bound is reached: oldest held alerts dropped');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ dropped: 2, held: 4 });
    h.store.failing.clear();
    await h.clock.advance(1_000);
    await until(() => h.rx.requests.length === 4);
  });

  it('at a stop with alerts still held, says they are lost and does not save the engine state (a restart decides them again)', async () => {
    const h = await harness();
    h.onEvents(update(1));
    await until(() => h.rx.requests.length === 1);
    const savedState = readFileSync(path.join(h.dir, 'state/engine-state.json'), 'utf8');
    h.store.failing.add('enqueueMany');
    h.onEvents(update(2));
    await h.daemon.stop();
    expect(readFileSync(path.join(h.dir, 'state/engine-state.json'), 'utf8')).toBe(savedState);
    expect(h.log.lines.some((l) => l['msg'] === 'outbox cannot write: held alerts are lost at this stop; the engine state was not saved either, so the next start decides them again')).toBe(true);
  });
});
