/**
 * The alertmanager destination against a cluster, with real HTTP receivers as
 * peers: every alert to every peer, success when one peer took it, the open
 * set re-posted on an injected clock (stepped, never slept), surviving a
 * restart, closed by the resolve and never reopened by a stale firing.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertmanagerDestination } from '../../src/model/config.js';
import { createAlertmanagerNotifier } from '../../src/notify/alertmanager/index.js';
import { ENDS_AFTER_INTERVALS, RESOLVED_RETENTION_MS, type Clock } from '../../src/notify/alertmanager/reposter.js';
import type { UnpacedNotifier } from '../../src/notify/notifier.js';
import { sampleAlert } from '../kit/alerts.js';
import { receiversPerTest, type Receiver } from '../kit/receiver.js';

const { receiver, cleanups } = receiversPerTest();

/** A clock whose timers run only when the test steps it. */
class StepClock implements Clock {
  t = Date.parse('2026-03-01T12:00:00Z');
  private timers = new Map<number, { at: number; fn: () => unknown }>();
  private seq = 0;
  now = () => this.t;
  setTimeout = (fn: () => unknown, ms: number) => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  /** Moves the clock by `ms`, running the timers that fall due and waiting for what they started (a round). */
  async step(ms: number): Promise<void> {
    this.t += ms;
    const started: unknown[] = [];
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.t) continue;
      this.timers.delete(id);
      started.push(timer.fn());
    }
    await Promise.all(started);
  }
}

const INTERVAL = 60_000;
type Posted = { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt?: string };
const bodies = (r: Receiver): Posted[][] => r.requests.map((q) => JSON.parse(q.body) as Posted[]);

async function cluster(n = 2) {
  const peers: Receiver[] = [];
  for (let i = 0; i < n; i++) peers.push(await receiver());
  const dest: AlertmanagerDestination = { type: 'alertmanager', name: 'am', url: peers[0]!.url, peers: peers.map((p) => p.url), headers: {}, resendIntervalMs: INTERVAL };
  return { peers, dest };
}

function daemonNotifier(dest: AlertmanagerDestination, clock: Clock, stateDir: string, resolves: (id: string) => boolean = () => true): UnpacedNotifier {
  const n = createAlertmanagerNotifier(dest, { timeoutMs: 2_000, stateDir, ruleResolves: resolves }, clock);
  cleanups.push(() => n.close?.());
  return n;
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'tw-am-peers-'));

describe('posting to every peer', () => {
  it('sends the same bytes and delivery header to each peer', async () => {
    const { peers, dest } = await cluster(2);
    const n = createAlertmanagerNotifier(dest, { timeoutMs: 2_000 });
    const a = sampleAlert();
    expect(await n.send(a)).toMatchObject({ ok: true });
    expect(peers.map((p) => p.requests.length)).toEqual([1, 1]);
    expect(peers[1]!.requests[0]!.body).toBe(peers[0]!.requests[0]!.body);
    expect(peers.map((p) => p.requests[0]!.headers['x-tailwatch-delivery'])).toEqual([a.id, a.id]);
    expect(peers.map((p) => p.requests[0]!.path)).toEqual(['/api/v2/alerts', '/api/v2/alerts']);
  });

  it('succeeds when one peer is down or refuses, and fails (retryable) only when none takes it', async () => {
    const { peers, dest } = await cluster(2);
    const n = createAlertmanagerNotifier(dest, { timeoutMs: 2_000 });
    await peers[0]!.down();
    const a = sampleAlert();
    expect(await n.send(a)).toMatchObject({ ok: true, status: 200 });
    expect(peers[1]!.requests).toHaveLength(1);

    await peers[0]!.up();
    peers[0]!.script({ status: 400, body: 'bad' });
    expect((await n.send(a)).ok).toBe(true);

    peers[0]!.script({ status: 400, body: 'bad' });
    peers[1]!.script({ status: 503, body: 'busy' });
    expect(await n.send(a)).toMatchObject({ ok: false, retry: true, reason: 'server-error' });
    peers[0]!.script({ status: 400, body: 'bad' });
    peers[1]!.script({ status: 422, body: 'no' });
    expect(await n.send(a)).toMatchObject({ ok: false, retry: false });
  });

  it('logs a failing peer when its problem starts and when it recovers, not once per alert', async () => {
    const { peers, dest } = await cluster(2);
    const lines: { level: number; msg: string; peer?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) });
    const n = createAlertmanagerNotifier(dest, { timeoutMs: 2_000, logger });
    await peers[1]!.down();
    for (let i = 0; i < 5; i++) {
      const a = sampleAlert();
      expect((await n.send(a)).ok).toBe(true);
    }
    await peers[1]!.up();
    const a = sampleAlert();
    await n.send(a);
    expect(lines.map((l) => [l.msg, l.peer])).toEqual([
      ['alertmanager: a peer did not take the alert; the other peers did', 2],
      ['alertmanager: peer takes alerts again', 2],
    ]);
    expect(JSON.stringify(lines)).not.toContain(peers[1]!.url);
  });

  it('adds externalLabels, never over a label the alert has', async () => {
    const { peers, dest } = await cluster(1);
    const n = createAlertmanagerNotifier({ ...dest, externalLabels: { cluster: 'prod-eu', team: 'not-this' } }, { timeoutMs: 2_000 });
    const a = sampleAlert({ labels: { team: 'payments' } });
    await n.send(a);
    expect(bodies(peers[0]!)[0]![0]!.labels).toEqual({ team: 'payments', merchantId: 'm-42', alertname: 'payments-5xx-burst', severity: 'critical', cluster: 'prod-eu' });
    expect(n.render(a).body).toEqual(bodies(peers[0]!)[0]);
  });
});

describe('re-posting open firings', () => {
  it('re-posts a resolving rule’s firing every resendInterval to every peer with endsAt = now + 4 × interval, then its resolve', async () => {
    const { peers, dest } = await cluster(2);
    const clock = new StepClock();
    const n = daemonNotifier(dest, clock, tmp(), (id) => id === 'resolving');
    const firing = sampleAlert({ ruleId: 'resolving', firedAt: '2026-03-01T11:59:00.000Z' });
    const oneShot = sampleAlert({ ruleId: 'one-shot' });
    await n.send(firing);
    await n.send(oneShot);
    expect(bodies(peers[0]!)[0]![0]!.endsAt).toBeUndefined();

    await clock.step(INTERVAL);
    await Promise.all(peers.map((p) => p.waitFor(3)));
    for (const p of peers) {
      const round = bodies(p)[2]!;
      expect(round.map((a) => a.annotations['tailwatch_id'])).toEqual([firing.id]);
      expect(round[0]!.endsAt).toBe(new Date(clock.t + ENDS_AFTER_INTERVALS * INTERVAL).toISOString());
      expect(round[0]!.startsAt).toBe(firing.firstEventAt);
    }

    const resolve = sampleAlert({ ruleId: 'resolving', kind: 'resolved', firedAt: '2026-03-01T12:00:30.000Z' });
    await n.send(resolve);
    await clock.step(INTERVAL);
    await Promise.all(peers.map((p) => p.waitFor(5)));
    const round = bodies(peers[1]!)[4]!;
    expect(round).toHaveLength(1);
    expect(round[0]!.endsAt).toBe('2026-03-01T12:00:30.000Z');

    // Resolves are re-posted for the retention only.
    await clock.step(RESOLVED_RETENTION_MS);
    const before = peers[0]!.requests.length;
    await clock.step(INTERVAL);
    expect(peers[0]!.requests.length).toBe(before);
  });

  it('keeps the open set across a restart (a new notifier on the same state dir re-posts it)', async () => {
    const { peers, dest } = await cluster(1);
    const dir = tmp();
    const clock = new StepClock();
    const first = daemonNotifier(dest, clock, dir);
    const firing = sampleAlert();
    await first.send(firing);
    first.close?.();

    const second = daemonNotifier(dest, clock, dir);
    expect(second).toBeDefined();
    await clock.step(INTERVAL);
    const [, repost] = await peers[0]!.waitFor(2);
    expect((JSON.parse(repost!.body) as Posted[]).map((a) => a.annotations['tailwatch_id'])).toEqual([firing.id]);
  });

  it('does not reopen an alert whose later resolve was delivered first, and drops firings of rules that stop resolving', async () => {
    const { peers, dest } = await cluster(1);
    const clock = new StepClock();
    let resolving = true;
    const n = daemonNotifier(dest, clock, tmp(), () => resolving);
    const a = sampleAlert({ group: { merchantId: 'a' }, firedAt: '2026-03-01T11:00:00.000Z' });
    const aResolved = sampleAlert({ kind: 'resolved', group: { merchantId: 'a' }, firedAt: '2026-03-01T11:05:00.000Z' });
    const b = sampleAlert({ group: { merchantId: 'b' } });
    await n.send(aResolved);
    await n.send(a); // a retry that lost the race
    await n.send(b);

    await clock.step(INTERVAL);
    const reqs = await peers[0]!.waitFor(4);
    const round = JSON.parse(reqs[3]!.body) as Posted[];
    expect(round.map((x) => [x.labels['merchantId'], x.endsAt]).sort()).toEqual([
      ['a', '2026-03-01T11:05:00.000Z'],
      ['b', new Date(clock.t + 4 * INTERVAL).toISOString()],
    ]);

    resolving = false;
    await clock.step(INTERVAL);
    const after = await peers[0]!.waitFor(5);
    expect((JSON.parse(after[4]!.body) as Posted[]).map((x) => x.labels['merchantId'])).toEqual(['a']);
  });

  it('posts nothing on its own without a state dir (notify-test, replay)', async () => {
    const { peers, dest } = await cluster(1);
    const clock = new StepClock();
    const n = createAlertmanagerNotifier(dest, { timeoutMs: 2_000 }, clock);
    const a = sampleAlert();
    await n.send(a);
    await clock.step(10 * INTERVAL);
    expect(peers[0]!.requests).toHaveLength(1);
  });
});
