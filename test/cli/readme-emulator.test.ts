/**
 * README "Try your rules against the emulator": its shell blocks, run as written
 * (only the port numbers are swapped for free ones, so parallel runs do not
 * collide), from an empty folder with `tailwatch` on PATH, end with the alert
 * at the receiver.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../kit/free-port.js';

const root = path.resolve(import.meta.dirname, '../..');

function section(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Try your rules against the emulator');
  const end = readme.indexOf('\n## ', start + 1);
  return [...readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}


describe('README: Try your rules against the emulator', () => {
  it('has the steps: init, emulator and receiver, put and run, the alert, stop', () => {
    const blocks = section();
    expect(blocks).toHaveLength(5);
    expect(blocks.join('\n')).toMatch(/tailwatch init[\s\S]*tailwatch emulate[\s\S]*tailwatch put[\s\S]*tailwatch run[\s\S]*kill/);
  });

  it('runs as written and the receiver gets the alert', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-readme-'));
    const bin = mkdtempSync(path.join(os.tmpdir(), 'tw-bin-'));
    writeFileSync(path.join(bin, 'tailwatch'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(root, 'bin/tailwatch.js')}" "$@"\n`);
    chmodSync(path.join(bin, 'tailwatch'), 0o755);
    let script = `set -e\n${section().join('\n')}`;
    for (const port of ['4566', '8080']) script = script.replaceAll(port, String(await freePort()));
    const child = spawn('bash', ['-c', script], {
      cwd: dir,
      detached: true,
      env: { PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}`, HOME: dir, TAILWATCH_LISTEN: '127.0.0.1:0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 90_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone: `kill $(jobs -p)` stopped everything
    }
    const runLog = (() => {
      try {
        return readFileSync(path.join(dir, 'try-tailwatch/run.log'), 'utf8');
      } catch {
        return '(no run.log)';
      }
    })();
    expect(code, `${out}\n--- run.log\n${runLog}`).toBe(0);
    expect(out).toContain('5 passed, 0 failed');
    expect(out).toContain('received: 5 errors in 1m');
  }, 120_000);
});
