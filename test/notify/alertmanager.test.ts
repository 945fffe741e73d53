/**
 * Against a real Alertmanager (Debian's prometheus-alertmanager 0.25, also
 * installed in CI): started on loopback with clustering off, fed by the
 * alertmanager notifier, checked through its own API and through its own
 * webhook notification of the resolve.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertmanagerDestination } from '../../src/model/config.js';
import { createNotifier, sendOne } from '../../src/notify/index.js';
import { alertmanagerBinary } from '../kit/alertmanager.js';
import { sampleAlert } from '../kit/alerts.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';
import { freePort } from '../kit/free-port.js';

// Debian's prometheus-alertmanager or upstream's alertmanager (ALERTMANAGER_BIN wins); missing: skipped, an error under CI.
const BINARY = alertmanagerBinary() ?? '';
const present = BINARY !== '';


let am: ChildProcess | undefined;
let amUrl = '';
let hook: Receiver;
let amLog = '';

beforeAll(async () => {
  if (!present) return;
  hook = await startReceiver();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-am-'));
  const config = path.join(dir, 'alertmanager.yml');
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: tw',
      "  group_by: ['alertname']",
      '  group_wait: 0s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: tw',
      '    webhook_configs:',
      `      - url: ${hook.url}/am-hook`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  am = spawn(BINARY, [`--config.file=${config}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: ['ignore', 'pipe', 'pipe'] });
  am.stdout!.on('data', (d) => (amLog += d));
  am.stderr!.on('data', (d) => (amLog += d));
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${amUrl}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (am.exitCode !== null || Date.now() > end) throw new Error(`alertmanager did not become ready:\n${amLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  am?.kill('SIGTERM');
  await hook?.close();
});

type AmApiAlert = { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string; status: { state: string } };

async function activeAlerts(): Promise<AmApiAlert[]> {
  return (await (await fetch(`${amUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false`)).json()) as AmApiAlert[];
}

describe.skipIf(!present)('the alertmanager destination, against a real Alertmanager', () => {
  it('shows the alert with labels, annotations and generatorURL; a resolve sets endsAt and ends it', async () => {
    const dest: AlertmanagerDestination = { type: 'alertmanager', name: 'am', url: amUrl + '/', headers: {} };
    const notifier = createNotifier(dest, { timeoutMs: 5_000 });
    const firing = sampleAlert({ ruleId: 'payments-5xx-burst', labels: { team: 'payments' }, group: { merchantId: 'm-42', 'user.id': 7, region: null } });
    expect(await sendOne(notifier, firing)).toMatchObject({ ok: true, status: 200 });

    const [shown] = (await activeAlerts()).filter((a) => a.labels['alertname'] === 'payments-5xx-burst');
    expect(shown).toBeDefined();
    expect(shown!.labels).toEqual({ alertname: 'payments-5xx-burst', severity: 'critical', team: 'payments', merchantId: 'm-42', user_id: '7' });
    expect(shown!.annotations).toMatchObject({ title: firing.title, text: firing.text, tailwatch_id: firing.id });
    expect(shown!.generatorURL).toBe(firing.links.console);
    expect(Date.parse(shown!.startsAt)).toBe(Date.parse(firing.firstEventAt));
    expect(shown!.status.state).toBe('active');

    const before = Date.now();
    const resolved = { ...sampleAlert({ kind: 'resolved', ruleId: 'payments-5xx-burst', labels: { team: 'payments' }, group: firing.group }), firedAt: new Date(before - 1_000).toISOString() };
    expect(notifier.render(resolved).body).toMatchObject([{ endsAt: resolved.firedAt }]);
    expect((await sendOne(notifier, resolved)).ok).toBe(true);
    expect((await activeAlerts()).filter((a) => a.labels['alertname'] === 'payments-5xx-burst')).toEqual([]);

    // Alertmanager's own webhook says it resolved, with our endsAt (≤ now)
    const end = Date.now() + 15_000;
    let notice: { status: string; alerts: { status: string; endsAt: string; labels: Record<string, string> }[] } | undefined;
    while (!notice && Date.now() < end) {
      notice = hook.requests.map((r) => JSON.parse(r.body) as typeof notice).find((b) => b!.status === 'resolved');
      if (!notice) await new Promise((r) => setTimeout(r, 100));
    }
    expect(notice, `no resolved notification from alertmanager:\n${amLog}`).toBeDefined();
    const a = notice!.alerts[0]!;
    expect(a.labels['merchantId']).toBe('m-42');
    expect(Date.parse(a.endsAt)).toBe(Date.parse(resolved.firedAt));
    expect(Date.parse(a.endsAt)).toBeLessThanOrEqual(Date.now());
  }, 30_000);

  it('a resolve decided in the future (event clock ahead) is sent with endsAt = now, not later', () => {
    const n = createNotifier({ type: 'alertmanager', name: 'am', url: amUrl, headers: {} }, { timeoutMs: 1_000 });
    const future = { ...sampleAlert({ kind: 'resolved' }), firedAt: new Date(Date.now() + 3_600_000).toISOString() };
    const [body] = n.render(future).body as { endsAt: string }[];
    expect(Date.parse(body!.endsAt)).toBeLessThanOrEqual(Date.now());
  });

  it('rejects a malformed alert permanently (400 with Alertmanager text)', async () => {
    const n = createNotifier({ type: 'alertmanager', name: 'am', url: amUrl, headers: {} }, { timeoutMs: 2_000 });
    const bad = sampleAlert({ ruleId: '', labels: {}, group: {} });
    const out = await sendOne(n, { ...bad, rule: { ...bad.rule, id: '' }, firstEventAt: 'not-a-date' });
    expect(out).toMatchObject({ ok: false, retry: false, reason: 'client-error' });
  });
});
