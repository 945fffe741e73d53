/**
 * Shutdown is bounded by its deadline, whatever the receivers do: with a
 * receiver that never answers and `delivery.timeout: 40s`, SIGTERM ends the
 * process within the 5 s outbox deadline plus a few seconds (systemd allows
 * 30 s), the request in flight is aborted, and its alert is still in the
 * outbox: the next start sends it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { until } from '../kit/until.js';

let emu: StartedEmulator;
let hook: http.Server;
let hung: boolean;
let received: { id: string; answered: boolean }[];
let hookUrl: string;
let dir: string;
const daemons: DaemonProcess[] = [];

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 100 });
  emu.emulator.ingest([{ logGroup: '/app/worker', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  received = [];
  hung = true;
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ id: (JSON.parse(body) as { id: string }).id, answered: !hung });
      if (!hung) res.end('ok'); // else: never answers
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-shutdown-'));
  mkdirSync(path.join(dir, 'rules'));
});

afterEach(async () => {
  while (daemons.length) await daemons.pop()!.stop();
  await emu.close();
  hook.closeAllConnections();
  await new Promise<void>((r) => hook.close(() => r()));
});

function start(): DaemonProcess {
  const d = startDaemon({ cwd: dir, args: ['--log-level', 'debug'] });
  daemons.push(d);
  return d;
}

describe('tailwatch run shutting down with a receiver that never answers', () => {
  it('exits within the deadline plus a few seconds (in-flight requests aborted) and sends the alert at the next start', async () => {
    writeFileSync(
      path.join(dir, 'tailwatch.yaml'),
      `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules] }
destinations:
  hook: { type: webhook, url: "${hookUrl}" }
defaults: { notify: [hook], throttle: 0s }
sessions: { stallAfter: 5s, grace: 1s, backoff: { initial: 100ms, max: 1s } }
delivery: { retry: { initial: 100ms, max: 1s }, timeout: 40s }
state: { dir: state }
`,
    );
    writeFileSync(path.join(dir, 'rules/worker.yaml'), `rules:\n  - id: worker-crash\n    source: { logGroups: [/app/worker], filterPattern: crashed }\n`);
    const first = start();
    await first.waitForMsg('ready');
    emu.emulator.ingest([{ logGroup: '/app/worker', logStream: 's1', timestamp: Date.now(), message: 'job 1 crashed' }]);
    await until(() => received.length === 1, 20_000, 'the request to the hung receiver');

    const t0 = Date.now();
    first.signal('SIGTERM');
    const exit = await first.exited;
    const tookMs = Date.now() - t0;
    console.log(`shutdown with a receiver that never answers (delivery.timeout 40s): exited after ${tookMs} ms`);
    expect(exit.code).toBe(0);
    // The outbox deadline is 5 s; before the fix the process lived until the 40 s timeout of a request sent after the abort.
    expect(tookMs).toBeLessThan(10_000);
    await first.waitForMsg('stopped');
    // Nothing was sent after the abort.
    expect(received).toHaveLength(1);

    hung = false;
    const second = start();
    await second.waitForMsg('ready');
    await until(() => received.some((r) => r.answered), 20_000, 'the alert, sent again at the next start');
    expect(new Set(received.map((r) => r.id))).toEqual(new Set([received[0]!.id]));
  }, 90_000);
});
