/**
 * The shared notifier kit (Alertmanager's notify/test habit): every HTTP
 * integration faces the same status matrix and the same no-secret-leak check,
 * against a real local receiver. A new destination adds one entry to
 * INTEGRATIONS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../../src/model/config.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNotifier, createOutboxSink, DELIVERY_HEADER, sendOne, type SendOutcome } from '../../src/notify/index.js';
import { captureLog } from '../kit/log.js';
import { sampleAlert } from '../kit/alerts.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';
import { SteppedClock } from '../kit/stepped-clock.js';
import { until } from '../kit/until.js';
import type { Timers } from '../../src/time.js';

const TOKEN = 'xoxb-SUPERSECRET-token-1234567890';
const HMAC = 'hmac-key-SUPERSECRET-0987654321';
const PATH_SECRET = 'B0SECRET42/XyZsecretPathPart';

const INTEGRATIONS: { type: string; make: (url: string) => Destination }[] = [
  { type: 'slack', make: (url) => ({ type: 'slack', name: 'kit-slack', url: `${url}/services/T000/${PATH_SECRET}`, username: 'tailwatch' }) },
  { type: 'webhook', make: (url) => ({ type: 'webhook', name: 'kit-hook', url: `${url}/hook/${PATH_SECRET}?token=${TOKEN}`, headers: { Authorization: `Bearer ${TOKEN}` }, secret: HMAC }) },
  { type: 'alertmanager', make: (url) => ({ type: 'alertmanager', name: 'kit-am', url: `${url}/am/${PATH_SECRET}`, headers: { Authorization: `Bearer ${TOKEN}` } }) },
];
const SECRETS = [TOKEN, HMAC, PATH_SECRET, 'SUPERSECRET', 'XyZsecretPathPart'];

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());

async function sendOnce(dest: Destination, timeoutMs = 2_000, timers?: Timers): Promise<SendOutcome> {
  const n = createNotifier(dest, { timeoutMs, timers });
  const alert = sampleAlert();
  return sendOne(n, alert);
}

function expectNoSecrets(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describe.each(INTEGRATIONS)('the $type notifier', ({ make }) => {
  const matrix: [status: number, ok: boolean, retry: boolean | undefined, reason?: string][] = [
    [200, true, undefined],
    [201, true, undefined],
    [204, true, undefined],
    [301, false, false, 'client-error'],
    [307, false, false, 'client-error'],
    [400, false, false, 'client-error'],
    [401, false, false, 'client-error'],
    [403, false, false, 'client-error'],
    [404, false, false, 'client-error'],
    [410, false, false, 'client-error'],
    [408, false, true, 'server-error'],
    [429, false, true, 'rate-limited'],
    [500, false, true, 'server-error'],
    [502, false, true, 'server-error'],
    [503, false, true, 'server-error'],
  ];
  it.each(matrix)('classifies HTTP %i (ok %s, retry %s)', async (status, ok, retry, reason) => {
    const headers: Record<string, string> = status === 429 ? { 'retry-after': '7' } : status < 400 && status >= 300 ? { location: `${rx.url}/elsewhere` } : {};
    rx.script({ status, body: status === 204 ? '' : `answer ${status}`, headers });
    const out = await sendOnce(make(rx.url));
    expect(out.ok).toBe(ok);
    expect(rx.requests.some((r) => r.path === '/elsewhere')).toBe(false);
    if (!out.ok) {
      expect(out.retry).toBe(retry);
      expect(out.reason).toBe(reason);
      expect(out.status).toBe(status);
      expect(out.detail).toContain(`HTTP ${status}`);
      if (status >= 400) expect(out.detail).toContain(`answer ${status}`);
      else expect(out.detail).toContain('redirects are not followed');
      if (status === 429) expect(out.retryAfterMs).toBe(7_000);
    }
  });

  it('reads Retry-After as an HTTP date too, against the injected clock', async () => {
    const clock = new SteppedClock(Date.parse('2026-01-01T00:00:00.000Z'));
    rx.script({ status: 429, body: 'slow down', headers: { 'retry-after': new Date(clock.now() + 30_000).toUTCString() } });
    const out = await sendOnce(make(rx.url), 2_000, clock);
    expect(out).toMatchObject({ ok: false, retryAfterMs: 30_000 });
  });

  it('retries a connection refused and a timeout', async () => {
    const gone = await startReceiver();
    const url = gone.url;
    await gone.close();
    const refused = await sendOnce(make(url));
    expect(refused).toMatchObject({ ok: false, retry: true, reason: 'connection' });
    // The receiver never answers in time: the request's timeout (on the injected clock) ends it.
    const clock = new SteppedClock();
    rx.script({ status: 200, delayMs: 60_000 });
    const before = rx.requests.length;
    const slow = sendOnce(make(rx.url), 300, clock);
    await until(() => rx.requests.length === before + 1);
    await clock.advance(300);
    expect(await slow).toMatchObject({ ok: false, retry: true, reason: 'timeout' });
  });

  it('sends X-Tailwatch-Delivery = the alert id', async () => {
    const before = rx.requests.length;
    const n = createNotifier(make(rx.url), { timeoutMs: 2_000 });
    const alert = sampleAlert();
    expect((await sendOne(n, alert)).ok).toBe(true);
    expect(rx.requests[before]!.headers[DELIVERY_HEADER.toLowerCase()]).toBe(alert.id);
  });

  it('never puts a secret into its error text, even when the receiver echoes the request', async () => {
    rx.respond((req) => ({ status: 400, body: `bad request to ${req.path} with ${req.headers['authorization'] ?? ''} (${encodeURIComponent(req.path)})` }));
    const out = await sendOnce(make(rx.url));
    rx.respond(() => ({ status: 200, body: 'ok' }));
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.detail).toContain('bad request to');
      expect(out.detail).toContain('[redacted]');
      expectNoSecrets(out.detail);
    }
    // and not in a connection failure either (fetch messages can carry the URL)
    const refused = await sendOnce(make('http://127.0.0.1:1'));
    expect(refused.ok).toBe(false);
    expectNoSecrets(JSON.stringify(refused));
  });

  it('keeps secrets out of the dispatcher logs and metric labels through retries and a permanent failure', async () => {
    const echo = (status: number) => (req: { path: string; headers: Record<string, unknown> }) => ({ status, body: `${req.path} ${String(req.headers['authorization'] ?? '')}` });
    let n = 0;
    rx.respond((req) => echo(++n <= 2 ? 500 : 400)(req));
    const log = captureLog('debug');
    const labels: string[] = [];
    const dest = make(rx.url);
    const clock = new SteppedClock();
    const sink = createOutboxSink({
      timers: clock,
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'tw-kit-')),
      destinations: { [dest.name]: dest },
      delivery: { retryInitialMs: 20, retryMaxMs: 50, maxAgeMs: 60_000, timeoutMs: 1_000, maxQueued: 10_000 },
      logger: log.logger,
      metrics: { delivered: (d) => labels.push(d), failed: (d, r) => labels.push(d, r), dropped: (d, r) => labels.push(d, r) },
    });
    sink.start();
    sink.enqueue({ alert: sampleAlert(), destinations: [dest.name] });
    // Each failure recorded (nothing in flight), the clock moves past the next backoff (≤ 50 ms).
    const start = rx.requests.length;
    const failures = () => labels.filter((l) => l === 'server-error' || l === 'client-error').length;
    while (!labels.includes('permanent')) {
      await until(() => failures() === rx.requests.length - start && failures() > 0);
      if (!labels.includes('permanent')) await clock.advance(50);
    }
    expect(failures()).toBe(3);
    await clock.runWhile(sink.close(100));
    rx.respond(() => ({ status: 200, body: 'ok' }));
    expect(labels).toContain('permanent');
    expect(log.lines.filter((l) => l['destination'] === dest.name).length).toBeGreaterThanOrEqual(3);
    expectNoSecrets(log.text());
    expectNoSecrets(labels.join(' '));
    expect(log.text()).not.toContain(rx.url);
  });

  it('shows configured header values as [redacted] when rendering', () => {
    const r = createNotifier(make(rx.url), { timeoutMs: 1_000 }).render(sampleAlert());
    expectNoSecrets(JSON.stringify(r));
  });
});
