/**
 * `tailwatch run` with its state dir on a full disk (a real 1 MB tmpfs, see
 * test/kit/small-fs.ts): the alerts decided meanwhile are held in memory,
 * `/readyz` says why it is not ready, the metrics count the failed writes and
 * the held alerts, and once there is space again every alert goes out
 * without a restart.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { canMountTmpfs, smallFs, type SmallFs } from '../kit/small-fs.js';
import { until } from '../kit/until.js';

let emu: StartedEmulator;
let hook: http.Server;
let received: { id: string; message: string }[];
let hookUrl: string;
let dir: string;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 100 });
  emu.emulator.ingest([{ logGroup: '/app/worker', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  received = [];
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const alert = JSON.parse(body) as { id: string; events: { message: string }[] };
      received.push({ id: alert.id, message: alert.events.at(-1)!.message });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-fulldisk-'));
  mkdirSync(path.join(dir, 'rules'));
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
  await emu.close();
  hook.closeAllConnections();
  await new Promise<void>((r) => hook.close(() => r()));
});

async function get(address: string, p: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${address}${p}`);
  return { status: res.status, body: await res.text() };
}

const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe.runIf(canMountTmpfs())('tailwatch run on a full disk', () => {
  it('holds the alerts it decides while the outbox cannot write, is not ready meanwhile, and sends them all once space is back', async () => {
    const fs: SmallFs = smallFs(1024)!;
    cleanups.push(() => fs.unmount());
    writeFileSync(
      path.join(dir, 'tailwatch.yaml'),
      `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules] }
destinations:
  hook: { type: webhook, url: "${hookUrl}" }
defaults: { notify: [hook], throttle: 0s }
sessions: { stallAfter: 5s, grace: 1s, backoff: { initial: 100ms, max: 1s } }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: "${fs.dir}" }
server: { listen: "127.0.0.1:0" }
`,
    );
    writeFileSync(path.join(dir, 'rules/worker.yaml'), `rules:\n  - id: worker-crash\n    source: { logGroups: [/app/worker], filterPattern: crashed }\n`);
    const d: DaemonProcess = startDaemon({ cwd: dir });
    cleanups.push(() => d.stop());
    const address = String((await d.waitForMsg('status server listening'))['address']);
    await d.waitForMsg('ready');

    fs.fill();
    const now = Date.now();
    const messages = Array.from({ length: 30 }, (_, i) => `job ${i} crashed ${'x'.repeat(500)}`);
    emu.emulator.ingest(messages.map((message, i) => ({ logGroup: '/app/worker', logStream: 's1', timestamp: now + i, message })));

    await until(async () => metric(await (await get(address, '/metrics')).body, 'tailwatch_outbox_held_alerts') === 30, 20_000, '30 alerts held');
    const metrics = (await get(address, '/metrics')).body;
    expect(metric(metrics, 'tailwatch_outbox_write_errors_total')).toBeGreaterThanOrEqual(1);
    const ready = await get(address, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/outbox cannot write: disk full .*30 alert\(s\) held/);
    expect(ready.body).not.toContain(fs.dir);
    expect(received).toEqual([]);

    fs.free();
    await until(() => received.length === 30, 20_000, 'the 30 alerts, after space came back');
    expect(received.map((r) => r.message).sort()).toEqual([...messages].sort());
    expect(new Set(received.map((r) => r.id)).size).toBe(30);
    await until(async () => (await get(address, '/readyz')).status === 200, 20_000, 'ready again');
    expect(metric((await get(address, '/metrics')).body, 'tailwatch_outbox_held_alerts')).toBe(0);
    expect(d.count((l) => l.msg === 'event handler failed')).toBe(0);
  }, 60_000);
});
