import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry, Counter } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../../src/daemon/heartbeat.js';
import { StatusServer } from '../../src/daemon/server.js';
import { StateFile } from '../../src/daemon/state-file.js';
import { startWatchdog, systemdNotifier, watchdogIntervalMs } from '../../src/daemon/sd-notify.js';
import { hasTool } from '../kit/tools.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('the status server', () => {
  it('answers /healthz, /readyz with reasons, and /metrics in Prometheus text format', async () => {
    const registry = new Registry();
    new Counter({ name: 'tailwatch_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    let ready = false;
    const server = new StatusServer({ listen: '127.0.0.1:0', registry, readiness: () => ({ ready, details: ready ? ['2 sessions up'] : ['session s1: AccessDenied'] }) });
    const addr = await server.start();
    cleanups.push(() => server.stop());
    const get = async (p: string) => {
      const res = await fetch(`http://${addr}${p}`);
      return { status: res.status, body: await res.text() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 503, body: 'not ready\nsession s1: AccessDenied\n' });
    ready = true;
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ready\n2 sessions up\n' });
    const metrics = await get('/metrics');
    expect(metrics.body).toContain('tailwatch_test_total 3');
    expect((await get('/nope')).status).toBe(404);
  });
});

describe('the state file', () => {
  it('round-trips a value, replaces it atomically, and treats a corrupt file as absent', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-state-'));
    const file = new StateFile<{ n: number }>(path.join(dir, 'nested'), 'engine.json');
    expect(file.read()).toBeUndefined();
    file.write({ n: 1 });
    file.write({ n: 2 });
    expect(file.read()).toEqual({ n: 2 });
    writeFileSync(file.path, '{"n": 3');
    let corrupt: Error | undefined;
    expect(file.read((e) => (corrupt = e))).toBeUndefined();
    expect(corrupt).toBeInstanceOf(SyntaxError);
  });
});

describe('systemd readiness', () => {
  it.skipIf(!hasTool('python3', 'apt-get install python3') || !hasTool('systemd-notify', 'apt-get install systemd'))('sends READY=1 and a status to $NOTIFY_SOCKET as a datagram, and waits until the listener has read it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-notify-'));
    const socket = path.join(dir, 'notify.sock');
    // Node cannot bind AF_UNIX datagram sockets: a tiny Python listener plays systemd.
    const listener = spawn('python3', ['-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(10)
# systemd-notify waits for a barrier (a second datagram carrying a pipe): read until it comes.
while True:
    msg, fds, flags, addr = socket.recv_fds(s, 4096, 4)
    print(msg.decode(), flush=True)
    for fd in fds:
        __import__("os").close(fd)
    if b"BARRIER=1" in msg:
        break
`, socket]);
    let out = '';
    listener.stdout.on('data', (d) => (out += d));
    cleanups.push(() => void listener.kill());
    await new Promise<void>((resolve) => listener.stdout.once('data', () => resolve()));
    expect(existsSync(socket)).toBe(true);
    const errors: Error[] = [];
    // Listen for the exit first: the listener may be done before `ready` resolves (a busy machine).
    const exited = new Promise<void>((resolve) => listener.once('exit', () => resolve()));
    await systemdNotifier({ NOTIFY_SOCKET: socket }, (e) => errors.push(e)).ready('3 sessions up');
    await exited;
    expect(errors).toEqual([]);
    expect(out).toContain('READY=1');
    expect(out).toContain('STATUS=3 sessions up');
    // The barrier: systemd-notify returned only after the manager side took the message.
    expect(out).toContain('BARRIER=1');
  });

  it('does nothing without NOTIFY_SOCKET', async () => {
    const errors: Error[] = [];
    await systemdNotifier({}, (e) => errors.push(e)).ready('x');
    expect(errors).toEqual([]);
  });
});

describe('the systemd watchdog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings at once and then every half WATCHDOG_USEC, on the event loop, until stopped', () => {
    vi.useFakeTimers();
    const at: number[] = [];
    const t0 = Date.now();
    const wd = startWatchdog({ WATCHDOG_USEC: '30000000' }, () => at.push(Date.now() - t0), { setInterval, clearInterval });
    expect(wd?.intervalMs).toBe(15_000);
    expect(at).toEqual([0]);
    vi.advanceTimersByTime(14_999);
    expect(at).toEqual([0]);
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(45_000);
    expect(at).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
    wd!.stop();
    vi.advanceTimersByTime(60_000);
    expect(at).toHaveLength(5);
  });

  it('sends nothing without WATCHDOG_USEC, with an unusable one, or when WATCHDOG_PID names another process', () => {
    vi.useFakeTimers();
    let pings = 0;
    for (const env of [{}, { NOTIFY_SOCKET: '/run/x' }, { WATCHDOG_USEC: '0' }, { WATCHDOG_USEC: 'soon' }, { WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }]) {
      expect(startWatchdog(env, () => pings++, { setInterval, clearInterval }, 4242)).toBeUndefined();
    }
    vi.advanceTimersByTime(10 * 60_000);
    expect(pings).toBe(0);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, 4242)).toBe(15_000);
  });

  it('a blocked event loop sends nothing until it runs again', async () => {
    let pings = 0;
    const wd = startWatchdog({ WATCHDOG_USEC: '20000' }, () => pings++)!;
    cleanups.push(() => wd.stop());
    expect(pings).toBe(1);
    // A runaway regex, say: the timer cannot fire, however long it lasts.
    const until = Date.now() + 200;
    while (Date.now() < until) {
      // busy
    }
    expect(pings).toBe(1);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => pings > 1 && (clearInterval(poll), resolve()), 5);
    });
    expect(pings).toBeGreaterThan(1);
  });

  it('sends WATCHDOG=1 through systemd-notify, a second ping joining one still on its way', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-watchdog-'));
    const socket = path.join(dir, 'notify.sock');
    const listener = spawn('python3', ['-c', `
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(10)
while True:
    msg, fds, flags, addr = socket.recv_fds(s, 4096, 4)
    print(msg.decode(), flush=True)
    for fd in fds:
        os.close(fd)
    if b"BARRIER=1" in msg:
        break
`, socket]);
    let out = '';
    listener.stdout.on('data', (d) => (out += d));
    cleanups.push(() => void listener.kill());
    await new Promise<void>((resolve) => listener.stdout.once('data', () => resolve()));
    const errors: Error[] = [];
    const notifier = systemdNotifier({ NOTIFY_SOCKET: socket }, (e) => errors.push(e));
    const first = notifier.watchdog();
    expect(notifier.watchdog()).toBe(first);
    await first;
    await new Promise<void>((resolve) => listener.once('exit', () => resolve()));
    expect(errors).toEqual([]);
    expect(out.match(/WATCHDOG=1/g)).toHaveLength(1);
  });
});

describe('the heartbeat', () => {
  it('pings the URL while healthy and skips while not', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    let healthy = true;
    const beat = new Heartbeat({ cron: '* * * * *', url: `http://127.0.0.1:${port}/ping?token=SECRET`, healthy: () => healthy, logger: pino({ level: 'silent' }) });
    expect(await beat.beat()).toBe(true);
    healthy = false;
    expect(await beat.beat()).toBe(false);
    expect(hits).toBe(1);
  });
});

describe('the systemd unit', () => {
  const unit = path.resolve(import.meta.dirname, '../../deploy/systemd/tailwatch.service');
  it.skipIf(!hasTool('systemd-analyze', 'apt-get install systemd'))('passes systemd-analyze verify and declares readiness, reload, restart and sandboxing', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(unit, 'utf8');
    for (const line of ['Type=notify', 'WatchdogSec=30s', 'ExecReload=/bin/kill -HUP $MAINPID', 'Restart=on-failure', 'StateDirectory=tailwatch', 'DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'EnvironmentFile=-/etc/tailwatch/env']) {
      expect(text.split('\n')).toContain(line);
    }
    // Throws (non-zero exit) on any problem it finds.
    execFileSync('systemd-analyze', ['verify', unit], { stdio: 'pipe' });
  });
});
