/**
 * At-least-once across `kill -9`: a child process owns the outbox; it is
 * killed while the receiver is down and again while sends are in flight; a
 * restarted process delivers every alert. Duplicates are bounded (at most
 * the sends in flight at a kill) and carry the same X-Tailwatch-Delivery id,
 * so a receiver can drop them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP_CONCURRENCY } from '../../src/notify/http.js';
import { startReceiver } from '../kit/receiver.js';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(import.meta.dirname, 'fixtures/sender.mjs');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function sender(stateDir: string, url: string, count: number): { child: ChildProcess; said: (text: string) => Promise<void> } {
  const child = spawn(process.execPath, [script, stateDir, url, String(count), 'dur'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', () => {});
  const said = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (out.includes(text)) {
          clearInterval(t);
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(t);
          reject(new Error(`sender exited ${child.exitCode}: ${out}`));
        }
      }, 10);
    });
  return { child, said };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('delivery across kill -9', () => {
  it('loses no alert and duplicates at most what was in flight per kill', async () => {
    expect(existsSync(path.join(root, 'dist/notify/index.js')), 'run `npm run build` first: the sender runs dist/').toBe(true);
    const N = 60;
    const ids = Array.from({ length: N }, (_, i) => createHash('md5').update(`dur-${i}`).digest('hex'));
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'tw-durable-'));
    const rx = await startReceiver({ status: 200, body: 'ok', delayMs: 150 });
    await rx.down();

    // 1. enqueued while the receiver is down; killed while retrying connection errors
    const a = sender(stateDir, rx.url, N);
    await a.said(`enqueued ${N}`);
    await new Promise((r) => setTimeout(r, 300));
    await kill(a.child);

    // 2. receiver up but slow: killed with sends in flight
    await rx.up();
    const b = sender(stateDir, rx.url, 0);
    await rx.waitFor(10, 15_000);
    await kill(b.child);
    const beforeRestart = rx.requests.length;

    // 3. restart: everything arrives (leases of the killed process expire after ~2 s)
    rx.respond(() => ({ status: 200, body: 'ok' }));
    const c = sender(stateDir, rx.url, 0);
    await c.said('depth 0');
    const seen = new Map<string, number>();
    for (const r of rx.requests) {
      const id = String(r.headers['x-tailwatch-delivery']);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const missing = ids.filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    const duplicates = [...seen.values()].reduce((s, n) => s + n - 1, 0);
    // one kill hit sends in flight (webhook concurrency HTTP_CONCURRENCY, sent-but-unacked included):
    // each alert at most once more, at most HTTP_CONCURRENCY in all
    expect(Math.max(...seen.values())).toBeLessThanOrEqual(2);
    expect(duplicates).toBeLessThanOrEqual(HTTP_CONCURRENCY);
    console.log(`durability: ${N} alerts, ${rx.requests.length} requests (${beforeRestart} before the restart), ${duplicates} duplicates`);
    await kill(c.child);
    await rx.close();
  }, 40_000);
});
