/**
 * The one seam every destination implements (Alertmanager's `Notifier`
 * shape): `send` reports whether it worked and, when not, whether a retry
 * could help. The integration decides *whether* (it knows its receiver); the
 * dispatcher decides *when* (backoff, Retry-After, pacing).
 */
import { createHash } from 'node:crypto';
import type { Alert } from '../model/alert.js';
import type { Timers } from '../time.js';

/** Why a send failed, for logs and the `reason` label of the failure counters. */
export type FailureReason = 'rate-limited' | 'server-error' | 'client-error' | 'timeout' | 'connection' | 'error';

export type SendOutcome =
  | { readonly ok: true; readonly status?: number | undefined }
  | {
      readonly ok: false;
      /** True when the same request may succeed later (429, 5xx, timeouts, connection errors). */
      readonly retry: boolean;
      readonly reason: FailureReason;
      /** The receiver's Retry-After, in ms from now, when it sent one. */
      readonly retryAfterMs?: number | undefined;
      readonly status?: number | undefined;
      /** Human-readable, secret-free: the status and the receiver's error text. */
      readonly detail: string;
    };

/** The exact request a destination gets for an alert (`replay --render`). */
export interface RenderedRequest {
  /** JSON value for HTTP destinations; the text block for the console. */
  readonly body: unknown;
  /** Request headers; configured values are shown as `[redacted]`. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface SendContext {
  /** Aborts the send (shutdown). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * What a paced destination is given to send: one alert, or a digest of
 * several when more are due than its pacing lets through (`pacing.ts`).
 * `id` is the `X-Tailwatch-Delivery` header: the alert id, or
 * `digest-<hash of the ids>`.
 */
export type Delivery =
  | { readonly kind: 'one'; readonly id: string; readonly alert: Alert }
  | { readonly kind: 'digest'; readonly id: string; readonly alerts: readonly Alert[] };

/** The alerts a delivery carries, in order. */
export function alertsOf(d: Delivery): readonly Alert[] {
  return d.kind === 'one' ? [d.alert] : d.alerts;
}

/** One delivery of `alerts` (one alert: itself; more: a digest with an id derived from theirs). */
export function deliveryOf(alerts: readonly Alert[]): Delivery {
  if (alerts.length === 1) return { kind: 'one', id: alerts[0]!.id, alert: alerts[0]! };
  const h = createHash('sha256');
  for (const a of alerts) h.update(a.id).update('\n');
  return { kind: 'digest', id: 'digest-' + h.digest('hex').slice(0, 32), alerts };
}

/** How the dispatcher may pace a destination. Absent: not paced, only bounded in concurrency. */
export interface Pacing {
  /** Sustained messages per second. */
  readonly perSecond: number;
  /** Messages that may go at once after a quiet spell. */
  readonly burst: number;
  /** Fold pending alerts into one message when more are due than this many seconds of sending. */
  readonly digestAfterSeconds: number;
  /** Most alerts one digest carries. */
  readonly digestMax: number;
}

interface NotifierBase {
  /** The destination's name (what logs and metrics show; never its URL). */
  readonly name: string;
  readonly type: string;
  /** Concurrent sends allowed to this destination. */
  readonly concurrency: number;
  render(alert: Alert): RenderedRequest;
  /** Stops what the notifier runs on its own (the Alertmanager re-posts) and closes its files; the dispatcher calls it on close. */
  close?(): void;
}

/** A destination sent one alert a request (webhook, Alertmanager, console); `X-Tailwatch-Delivery` is the alert id. */
export interface UnpacedNotifier extends NotifierBase {
  readonly pacing?: undefined;
  send(alert: Alert, ctx?: SendContext): Promise<SendOutcome>;
}

/** A destination the dispatcher paces (Slack): it alone is given digests. */
export interface PacedNotifier extends NotifierBase {
  readonly pacing: Pacing;
  send(delivery: Delivery, ctx?: SendContext): Promise<SendOutcome>;
}

export type Notifier = UnpacedNotifier | PacedNotifier;

/** Sends one alert to any destination (notify-test, tests). */
export function sendOne(n: Notifier, alert: Alert, ctx?: SendContext): Promise<SendOutcome> {
  return n.pacing ? n.send(deliveryOf([alert]), ctx) : n.send(alert, ctx);
}

/** Shared by every notifier factory. */
export interface NotifierDeps {
  readonly timeoutMs: number;
  /** The clock and timers (request timeouts, Retry-After dates, Alertmanager's endsAt); real ones by default. */
  readonly timers?: Timers | undefined;
  /** Where the console destination writes (stdout by default). */
  readonly consoleStream?: NodeJS.WritableStream | undefined;
  /** Console blocks in colour (default: when the stream is a terminal and NO_COLOR is not set). */
  readonly consoleColor?: boolean | undefined;
  /**
   * The daemon's state folder: a notifier that keeps state of its own (the Alertmanager destination's
   * open firings, re-posted every `resendInterval`) keeps it there. Absent (notify-test, replay): nothing kept, nothing re-posted.
   */
  readonly stateDir?: string | undefined;
  /** Whether a rule's firings stay open until a resolve (`resolve: true`), asked at each re-post (reloads change rules). */
  readonly ruleResolves?: ((ruleId: string) => boolean) | undefined;
  readonly logger?: import('pino').Logger | undefined;
}

export const DELIVERY_HEADER = 'X-Tailwatch-Delivery';
