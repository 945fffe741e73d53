/**
 * `tailwatch run` as a real child process: JSON log lines parsed as they
 * arrive, waits on log lines (not on time), signals, exit status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const BIN = path.resolve(import.meta.dirname, '../../bin/tailwatch.js');

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export class DaemonProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        parsed = { msg: line, level: 'raw' };
      }
      this.logs.push(parsed);
      this.waiters = this.waiters.filter((w) => (w.pred(parsed) ? (w.resolve(parsed), false) : true));
    });
    child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first log line (past or future) that matches; rejects after `timeoutMs`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 15_000, what = 'log line'): Promise<LogLine> {
    const seen = this.logs.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; logs:\n${this.logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${this.stderr}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  waitForMsg(msg: string, timeoutMs?: number): Promise<LogLine> {
    return this.waitForLog((l) => l.msg === msg, timeoutMs, `"${msg}"`);
  }

  count(pred: (l: LogLine) => boolean): number {
    return this.logs.filter(pred).length;
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

export function startDaemon(opts: { cwd: string; args?: string[]; env?: Record<string, string> }): DaemonProcess {
  const child = spawn(process.execPath, [BIN, 'run', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { PATH: process.env['PATH'] ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new DaemonProcess(child);
}
