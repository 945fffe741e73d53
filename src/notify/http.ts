/**
 * One JSON POST and the status matrix every HTTP destination shares:
 * 2xx delivered; 429 retry after `Retry-After` (seconds or HTTP date);
 * 408, 5xx, timeouts and connection errors retry; other 4xx are permanent,
 * and so are redirects (not followed: a signed body is never re-sent elsewhere).
 * Error text is built from status and error codes plus the receiver's body
 * (scrubbed), never from the URL.
 */
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { FailureReason, SendOutcome } from './notifier.js';
import { scrub } from './secrets.js';
import { realTimers, type TimerHandle, type Timers } from '../time.js';

/**
 * Concurrent sends to one webhook or Alertmanager destination, over kept-alive
 * connections. 32: a storm of hundreds of alerts (one Live Tail update) waits
 * for fewer round trips (measured, 500 alerts in one update: p99 370–520 ms at
 * 16, ~305 ms at 32, seconds at 4), while a receiver sees at most 32
 * connections from us. It is also the bound on duplicates a kill -9 can cause
 * per destination (sends in flight, not yet acked).
 */
export const HTTP_CONCURRENCY = 32;

/** Receiver error text kept in logs and `notify-test` output. */
const MAX_DETAIL = 300;

export interface PostOptions {
  readonly url: string;
  /** The exact body bytes (signatures are computed over them). */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly secrets: readonly string[];
  /** The request timeout's timer and the clock Retry-After dates are read against (real by default). */
  readonly timers?: Timers | undefined;
}

/**
 * node:http(s) with one keep-alive agent per protocol, not `fetch`: the same
 * request on the wire minus fetch's browser headers, and about a third of
 * fetch's CPU per request (measured: 500 local POSTs, 16 at a time, 224 ms vs
 * 594 ms) — what a storm of one alert per request is bound by. Redirects are
 * never followed (node:http does not), a 3xx comes back as its response.
 */
const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};

/**
 * A destination's URL as node:http request options, parsed once (a destination posts to the same
 * URL every time; parsing it was ~1 % of a storm's CPU). Undefined: not an http(s) URL.
 */
const targets = new Map<string, { readonly secure: boolean; readonly options: http.RequestOptions } | undefined>();
function target(raw: string): { readonly secure: boolean; readonly options: http.RequestOptions } | undefined {
  if (targets.has(raw)) return targets.get(raw);
  let t: { secure: boolean; options: http.RequestOptions } | undefined;
  try {
    const url = new URL(raw);
    const secure = url.protocol === 'https:';
    // `https://user:pass@host/…` (Alertmanager behind a proxy): `auth` becomes a Basic Authorization
    // header, unless one is configured (webhook.test.ts), as node:http does for a URL.
    if (secure || url.protocol === 'http:') t = { secure, options: { ...urlToHttpOptions(url), method: 'POST', agent: secure ? agents.https : agents.http } };
  } catch {
    t = undefined;
  }
  if (targets.size >= 256) targets.clear(); // a bound, not a cache policy: destinations are few
  targets.set(raw, t);
  return t;
}

export async function postJson(opts: PostOptions): Promise<SendOutcome> {
  if (opts.signal?.aborted) return requestFailure(abortError(), false);
  const to = target(opts.url);
  if (!to) return { ok: false, retry: true, reason: 'error', detail: 'request failed' };
  const body = Buffer.from(opts.body, 'utf8');
  const headers: Record<string, string | number> = { 'content-type': 'application/json', ...opts.headers, 'content-length': body.length };
  const timers = opts.timers ?? realTimers;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    // One timer and one listener per request (AbortSignal.timeout + AbortSignal.any cost more than the request).
    const timeout = { aborted: false };
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    const done = (outcome: SendOutcome): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    let req: http.ClientRequest;
    try {
      req = (to.secure ? https : http).request({ ...to.options, headers });
    } catch {
      // Invalid header names or values (fetch rejected those with a TypeError, no code).
      return done({ ok: false, retry: true, reason: 'error', detail: 'request failed' });
    }
    timer = timers.setTimeout(() => {
      timeout.aborted = true;
      req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
    }, opts.timeoutMs);
    if (opts.signal) {
      onAbort = () => req.destroy(abortError());
      opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    req.on('error', (err) => done(requestFailure(err, timeout.aborted)));
    let responded = false;
    req.on('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const finish = (): void => {
        const retryAfter = res.headers['retry-after'];
        done(classifyResponse(res.statusCode ?? 0, typeof retryAfter === 'string' ? retryAfter : null, Buffer.concat(chunks).toString('utf8'), opts.secrets, () => timers.now()));
      };
      res.on('end', finish);
      res.on('error', (err) => {
        // The body broke off: a success is still a success; a failure is classified by what broke.
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) finish();
        else done(requestFailure(err, timeout.aborted));
      });
      // Never left hanging (a hung send would hold its slot): a body that ended without 'end' or 'error'.
      res.on('close', () => {
        const status = res.statusCode ?? 0;
        if (res.complete || (status >= 200 && status < 300)) finish();
        else done(requestFailure(Object.assign(new Error('response closed'), { code: 'ECONNRESET' }), timeout.aborted));
      });
    });
    req.on('close', () => {
      if (!responded) done(requestFailure(Object.assign(new Error('socket closed'), { code: 'ECONNRESET' }), timeout.aborted));
    });
    req.end(body);
  });
}

export function classifyResponse(status: number, retryAfter: string | null, bodyText: string, secrets: readonly string[], now: () => number): SendOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  if (status >= 300 && status < 400) return { ok: false, retry: false, reason: 'client-error', status, detail: `HTTP ${status}: redirects are not followed (fix the destination's url)` };
  const detail = `HTTP ${status}${bodyText.trim() ? `: ${receiverText(bodyText, secrets)}` : ''}`;
  if (status === 429) return { ok: false, retry: true, reason: 'rate-limited', status, retryAfterMs: parseRetryAfter(retryAfter, now()), detail };
  if (status >= 500 || status === 408) return { ok: false, retry: true, reason: 'server-error', status, detail };
  return { ok: false, retry: false, reason: 'client-error', status, detail };
}

/** `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`, as ms from now (≥ 0). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** A failure without a response: the error's code only (messages may carry the URL). */
export function requestFailure(err: unknown, timedOut: boolean): SendOutcome {
  if (timedOut || isTimeout(err)) return { ok: false, retry: true, reason: 'timeout', detail: 'timed out' };
  const code = errorCode(err);
  if (code === 'aborted') return { ok: false, retry: true, reason: 'error', detail: 'aborted (shutting down)' };
  const reason: FailureReason = code ? 'connection' : 'error';
  return { ok: false, retry: true, reason, detail: code ? `connection error: ${code}` : 'request failed' };
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: string; cause?: { name?: string; code?: string } } | undefined;
  return e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError' || e?.cause?.code === 'UND_ERR_CONNECT_TIMEOUT' || e?.cause?.code === 'UND_ERR_HEADERS_TIMEOUT';
}

/** Walks `cause` for a system error code (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET…). */
function errorCode(err: unknown): string | undefined {
  let e = err as { name?: string; code?: unknown; cause?: unknown; original?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.name === 'AbortError') return 'aborted';
    if (typeof e.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.code)) return e.code;
    e = (e.cause ?? e.original) as typeof e;
  }
  return undefined;
}

function receiverText(body: string, secrets: readonly string[]): string {
  const oneLine = scrub(body, secrets).replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_DETAIL ? oneLine.slice(0, MAX_DETAIL - 1) + '…' : oneLine;
}
