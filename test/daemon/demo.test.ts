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
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 75_000);
});
