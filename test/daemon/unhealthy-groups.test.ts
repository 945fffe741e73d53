/**
 * `tailwatch run` (child process, the emulator, the real SDK) with a rule on a log group that
 * is missing or denied: the log and /readyz name the group, its region and its account; SIGHUP
 * retries at once (the slow retry is 5 minutes away); the plan and its monthly cost are logged
 * at start.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { until } from '../kit/until.js';

let emu: StartedEmulator;
let dir: string;
let daemon: DaemonProcess | undefined;

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 100 });
  emu.emulator.ingest([{ logGroup: '/app/api', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-unhealthy-'));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(
    path.join(dir, 'tailwatch.yaml'),
    `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules], watch: false }
destinations: { out: { type: console } }
defaults: { notify: [out] }
sessions: { strategy: precise, pricePerMinute: 0.01, backoff: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
`,
  );
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await emu.close();
});

const RULES = (group: string) => `rules:
  - id: api-errors
    source: { logGroups: [/app/api], filterPattern: ERROR }
  - id: watched
    source: { logGroups: [${group}] }
`;

async function readyz(address: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${address}/readyz`);
  return { status: res.status, body: await res.text() };
}

describe('a rule on a missing or denied log group', () => {
  it('missing: logged and on /readyz with group, region and account; the plan and its cost logged at start; SIGHUP after the group appears → ready at once', async () => {
    writeFileSync(path.join(dir, 'rules/r.yaml'), RULES('/aws/lambda/payments'));
    const d = (daemon = startDaemon({ cwd: dir, args: ['-c', 'tailwatch.yaml'] }));
    const address = String((await d.waitForMsg('status server listening'))['address']);
    const plan = await d.waitForLog((l) => String(l.msg).startsWith('Live Tail plan:'), 15_000, 'the plan');
    expect(plan.msg).toBe('Live Tail plan: 2 sessions, $864.00/month at $0.01 per session-minute');
    expect(plan['sessions']).toEqual(expect.arrayContaining([expect.objectContaining({ logGroups: ['/aws/lambda/payments'], rules: ['watched'], monthlyCost: 432 })]));
    const named = 'log group /aws/lambda/payments not found in us-east-1 (account 123456789012)';
    const line = await d.waitForLog((l) => String(l.msg).startsWith(named), 15_000, 'the missing group named');
    expect(line).toMatchObject({ level: 'warn', logGroup: '/aws/lambda/payments', region: 'us-east-1', account: '123456789012', rules: ['watched'] });
    await until(async () => (await readyz(address)).body.includes(named), 10_000, '/readyz naming the group');
    expect((await readyz(address)).status).toBe(503);

    emu.emulator.ingest([{ logGroup: '/aws/lambda/payments', logStream: 's', timestamp: Date.now(), message: 'first invocation' }]);
    d.signal('SIGHUP');
    await d.waitForMsg('ready', 10_000);
    expect((await readyz(address)).status).toBe(200);
  }, 40_000);

  it('denied: /readyz names the group, region and account; SIGHUP once allowed → ready at once', async () => {
    writeFileSync(path.join(dir, 'rules/r.yaml'), RULES('/app/secret'));
    emu.emulator.ingest([{ logGroup: '/app/secret', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
    emu.emulator.injectFault({ type: 'refuse', error: 'AccessDeniedException', logGroupName: '/app/secret' });
    const d = (daemon = startDaemon({ cwd: dir, args: ['-c', 'tailwatch.yaml'] }));
    const address = String((await d.waitForMsg('status server listening'))['address']);
    const named = 'access denied to log group /app/secret in us-east-1 (account 123456789012)';
    await until(async () => (await readyz(address)).body.includes(named), 10_000, '/readyz naming the denied group');
    emu.emulator.injectFault({ type: 'clear' });
    d.signal('SIGHUP');
    await d.waitForMsg('ready', 10_000);
    expect((await readyz(address)).status).toBe(200);
  }, 40_000);
});
