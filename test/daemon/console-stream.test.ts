/**
 * The console destination under `tailwatch run`: with JSON logs on stdout its
 * alert blocks go to stderr, so stdout stays one JSON record a line; with
 * `--log-format pretty` both are for people, on stdout. And the colours:
 * on a terminal, unless NO_COLOR; FORCE_COLOR colours a pipe.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleBlock, consoleColorFor } from '../../src/notify/console/index.js';
import { sampleAlert } from '../kit/alerts.js';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';

let emu: StartedEmulator | undefined;
let daemon: DaemonProcess | undefined;
afterEach(async () => {
  await daemon?.stop();
  await emu?.close();
});

describe('tailwatch run with a console destination', () => {
  it('writes alert blocks to stderr while its logs are JSON lines on stdout', async () => {
    emu = await startEmulator({ updateIntervalMs: 100 });
    emu.emulator.ingest([{ logGroup: '/app/api', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-console-'));
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(
      path.join(dir, 'tailwatch.yaml'),
      `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
destinations: { out: { type: console } }
defaults: { notify: [out], throttle: 0s }
sessions: { strategy: precise, grace: 1s }
state: { dir: state }
`,
    );
    writeFileSync(path.join(dir, 'rules/r.yaml'), 'rules:\n  - id: api-fatal\n    source: { logGroups: [/app/api], filterPattern: FATAL }\n    title: "FATAL on {{event.logStream}}"\n');
    daemon = startDaemon({ cwd: dir, env: { FORCE_COLOR: '', NO_COLOR: '' } });
    await daemon.waitForMsg('ready', 20_000);
    emu.emulator.ingest([{ logGroup: '/app/api', logStream: 's1', timestamp: Date.now(), message: 'FATAL out of memory' }]);
    await daemon.waitForMsg('alert', 20_000);
    const deadline = Date.now() + 10_000;
    while (!daemon.stderr.includes('[FIRING]') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(daemon.stderr).toContain('[FIRING] WARNING FATAL on s1\n');
    expect(daemon.stderr).not.toContain('\x1b['); // a pipe: no colour
    // every stdout line was a JSON record
    expect(daemon.logs.filter((l) => l.level === 'raw')).toEqual([]);
  }, 60_000);
});

describe('console colours', () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  const pipe = new PassThrough();

  it('on a terminal unless NO_COLOR is set; FORCE_COLOR colours a pipe', () => {
    expect(consoleColorFor(tty, {})).toBe(true);
    expect(consoleColorFor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(consoleColorFor(tty, { NO_COLOR: '' })).toBe(true);
    expect(consoleColorFor(pipe, {})).toBe(false);
    expect(consoleColorFor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(consoleColorFor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(consoleColorFor(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('colour the first line by severity (green when resolved) and dim the samples; the text is the same without the codes', () => {
    const a = sampleAlert({ title: 'boom' });
    const plain = consoleBlock(a);
    const colored = consoleBlock(a, { color: true });
    expect(plain).not.toContain('\x1b[');
    expect(colored.split('\n')[0]).toBe('\x1b[1;31m[FIRING] CRITICAL boom\x1b[0m');
    // eslint-disable-next-line no-control-regex
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
    expect(consoleBlock({ ...a, kind: 'resolved' }, { color: true }).split('\n')[0]).toBe('\x1b[32m[RESOLVED] CRITICAL boom\x1b[0m');
    expect(colored).toContain('\x1b[2m  | /ecs/payments');
  });
});
