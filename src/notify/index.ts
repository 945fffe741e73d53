/**
 * Delivery: the durable outbox, the dispatcher, and one folder per
 * destination. The public surface is this file; everything else is internal.
 *
 * Adding a destination: a folder with a `create<Type>Notifier(dest, deps)`,
 * one case in `createNotifier`, one schema entry and its tests (the shared
 * kit in test/notify/notifier-kit.test.ts runs the HTTP status matrix and the
 * no-secret-leak check against it).
 */
import type { Destination } from '../model/config.js';
import type { AlertSink } from '../model/ports.js';
import { createAlertmanagerNotifier } from './alertmanager/index.js';
import { createConsoleNotifier } from './console/index.js';
import type { Notifier, NotifierDeps } from './notifier.js';
import { createDispatcher, type OutboxSinkOptions } from './sink.js';
import { createSlackNotifier } from './slack/index.js';
import { createWebhookNotifier } from './webhook/index.js';

export type { DeliveryMetrics, OutboxSinkOptions } from './sink.js';
export type { Notifier, PacedNotifier, UnpacedNotifier, Delivery, NotifierDeps, SendOutcome, SendContext, RenderedRequest, Pacing, FailureReason } from './notifier.js';
export { DELIVERY_HEADER, alertsOf, deliveryOf, sendOne } from './notifier.js';
export { consoleColorFor } from './console/index.js';
export { SIGNATURE_HEADER, signature } from './webhook/index.js';
export { retryDelay, type RetryPolicy } from './backoff.js';
export { storeErrorText } from './outbox.js';

export function createNotifier(dest: Destination, deps: NotifierDeps): Notifier {
  switch (dest.type) {
    case 'slack':
      return createSlackNotifier(dest, deps);
    case 'webhook':
      return createWebhookNotifier(dest, deps);
    case 'alertmanager':
      return createAlertmanagerNotifier(dest, deps);
    case 'console':
      return createConsoleNotifier(dest, deps);
  }
}

/** The daemon's `AlertSink`: every alert is in `<stateDir>/outbox.sqlite` before `enqueue` returns. */
export function createOutboxSink(opts: OutboxSinkOptions): AlertSink {
  return createDispatcher(opts, createNotifier);
}
