/**
 * A real HTTP receiver on 127.0.0.1:0 for delivery tests: records every
 * request (method, path, headers, exact body) and answers with the next
 * scripted response, or the default one. `down()` / `up()` stop and restart
 * listening on the same port (a receiver that is unreachable for a while).
 */
import http from 'node:http';
import { afterEach } from 'vitest';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Wait this long before answering (timeouts). */
  readonly delayMs?: number;
}

export type Responder = (req: Received, index: number) => Reply;

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly requests: Received[];
  /** Answers for the next requests, in order; then `fallback`. */
  script(...replies: Reply[]): void;
  respond(fn: Responder): void;
  /** Resolves when at least `n` requests arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(fallback: Reply = { status: 200, body: 'ok' }, port = 0): Promise<Receiver> {
  const requests: Received[] = [];
  const queue: Reply[] = [];
  let responder: Responder | undefined;
  const waiters = new Set<() => void>();
  const sockets = new Set<import('node:net').Socket>();
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = requests.length;
      requests.push(r);
      for (const w of [...waiters]) w();
      const reply = queue.shift() ?? responder?.(r, index) ?? fallback;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  };
  let server = http.createServer(handler);
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.listen(p, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  const actualPort = await listen(port);
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    script: (...replies) => void queue.push(...replies),
    respond: (fn) => void (responder = fn),
    waitFor(n, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(requests.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: ${requests.length} of ${n} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    down: stop,
    async up() {
      server = http.createServer(handler);
      await listen(actualPort);
    },
    close: stop,
  };
}

/**
 * For a test file: `receiver()` starts a receiver that is closed after the
 * test, and `cleanups` takes further teardown steps (run last-in first-out).
 */
export function receiversPerTest(): { receiver: () => Promise<Receiver>; cleanups: (() => unknown)[] } {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return {
    cleanups,
    async receiver() {
      const rx = await startReceiver();
      cleanups.push(() => rx.close());
      return rx;
    },
  };
}
