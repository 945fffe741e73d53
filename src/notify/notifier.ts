/**
 * The one seam every destination implements (Alertmanager's `Notifier`
 * shape): `send` reports whether it worked and, when not, whether a retry
 * could help. The integration decides *whether* (it knows its receiver); the
 * dispatcher decides *when* (backoff, Retry-After, pacing).
 */
import type { Alert } from '../engine/alert.js';

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
  /** `X-Tailwatch-Delivery`: the alert id, or `digest-<hash>` for a digest. */
  readonly deliveryId: string;
  readonly signal?: AbortSignal | undefined;
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

export interface Notifier {
  /** The destination's name (what logs and metrics show; never its URL). */
  readonly name: string;
  readonly type: string;
  /** Concurrent sends allowed to this destination. */
  readonly concurrency: number;
  readonly pacing?: Pacing | undefined;
  /** Sends one alert, or (when `pacing` allows digests and there are several) one digest of them. */
  send(alerts: readonly Alert[], ctx: SendContext): Promise<SendOutcome>;
  render(alert: Alert): RenderedRequest;
  /** Stops what the notifier runs on its own (the Alertmanager re-posts) and closes its files; the dispatcher calls it on close. */
  close?(): void;
}

/** Shared by every notifier factory. */
export interface NotifierDeps {
  readonly timeoutMs: number;
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
