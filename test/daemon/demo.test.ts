/**
 * `npm run demo` as a user runs it: the emulator, the sample traffic and the
 * daemon with config.example.yaml. An alert must be printed within 15 s.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');

describe('npm run demo', () => {
  it('prints a [FIRING] alert from the console destination within 15 s, then the other alerts the README promises, and stops cleanly on SIGINT', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(repo, 'scripts/demo.js')], { cwd: repo, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines: string[] = [];
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const firing = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no alert within 15 s; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), 15_000);
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          if (line.startsWith('[FIRING]')) {
            clearTimeout(timer);
            resolve(line);
          }
        });
        child.once('exit', (code) => reject(new Error(`demo exited with ${code}; stderr:\n${stderr}`)));
      });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(firing).toMatch(/^\[FIRING\] /);
      // The sample traffic (25 s) also holds a burst of 503s for one merchant and slow checkout requests.
      const wanted = [/FATAL in \/ecs\//, /5xx on payments for m-42/, /slow checkout requests/];
      const deadline = Date.now() + 45_000;
      while (!wanted.every((w) => lines.some((l) => l.startsWith('[FIRING]') && w.test(l))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      for (const w of wanted) expect(lines.filter((l) => l.startsWith('[FIRING]')), String(w)).toContainEqual(expect.stringMatching(w));
      // It said what to expect, and when the feed (25 s) was over.
      expect(stderr).toMatch(/\[demo\] timeline from now/);
      expect(stderr).toMatch(/\[demo\] {3}~\d+ s +FIRING FATAL in \/ecs\/checkout\n/);
      expect(stderr).toMatch(/\[demo\] {3}~10 min \d+ s +FIRING Settlement job nightly-settlement is silent\n/);
      const overBy = Date.now() + 15_000;
      while (!stderr.includes('[demo] the feed is over') && Date.now() < overBy) await new Promise((r) => setTimeout(r, 200));
      expect(stderr).toContain('[demo] the feed is over (80 events)');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 75_000);

  it('--fast: windows and throttles shortened, so its timeline of the same alerts ends within about a minute', async () => {
    const child = spawn(process.execPath, [path.join(repo, 'scripts/demo.js'), '--fast'], { cwd: repo, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/the feed is over|timeline from now[\s\S]*silent\n/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const timeline = [...stderr.matchAll(/^\[demo\] {3}~(\d+) s +(FIRING|RESOLVED) (.*)$/gm)].map((m) => ({ at: Number(m[1]), what: `${m[2]} ${m[3]}` }));
      expect(timeline.map((t) => t.what)).toEqual([
        'FIRING FATAL in /ecs/checkout',
        'FIRING 20 5xx on payments for m-42',
        'FIRING 5 slow checkout requests in 10s',
        'RESOLVED Requests slower than 5 s on checkout (access log)',
        'RESOLVED 5xx on payments for m-42 back to normal',
        'FIRING Settlement job nightly-settlement is silent',
      ]);
      expect(Math.max(...timeline.map((t) => t.at))).toBeLessThanOrEqual(75);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
