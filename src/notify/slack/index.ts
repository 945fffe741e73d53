/**
 * `type: slack`: an incoming webhook through `@slack/webhook`. The client is
 * given our own `fetch` so the request carries `X-Tailwatch-Delivery` and the
 * shutdown signal, and so the response's status and `Retry-After` reach the
 * status matrix in `http.ts` (the client's errors carry neither the header
 * nor, safely, the URL-free text we need). The client's own retries stay off:
 * the dispatcher decides when to retry.
 *
 * Paced: ~1 message a second with a burst of 3; when more than 3 seconds of
 * messages are due, they fold into digests of up to 50 alerts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { IncomingWebhook, IncomingWebhookHTTPError, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { SlackDestination } from '../../model/config.js';
import { realTimers } from '../../time.js';
import { classifyResponse, requestFailure } from '../http.js';
import { alertsOf, DELIVERY_HEADER, type Delivery, type NotifierDeps, type PacedNotifier, type Pacing, type SendOutcome } from '../notifier.js';
import { secretsOf } from '../secrets.js';
import { alertMessage, digestMessage, type SlackMessage } from './render.js';

export const SLACK_PACING: Pacing = { perSecond: 1, burst: 3, digestAfterSeconds: 3, digestMax: 50 };

export function slackPayload(dest: SlackDestination, delivery: Delivery): IncomingWebhookSendArguments & SlackMessage {
  const msg = delivery.kind === 'one' ? alertMessage(delivery.alert) : digestMessage(delivery.alerts);
  return {
    ...(dest.username ? { username: dest.username } : {}),
    ...(dest.iconEmoji ? { icon_emoji: dest.iconEmoji } : {}),
    ...(dest.channel ? { channel: dest.channel } : {}),
    ...msg,
    unfurl_links: false,
    unfurl_media: false,
  } as IncomingWebhookSendArguments & SlackMessage;
}

/** One send's request context and what its response said (read by the shared client's `fetch`). */
interface SendState {
  readonly deliveryId: string;
  readonly signal: AbortSignal;
  response?: { readonly status: number; readonly retryAfter: string | null };
}

export function createSlackNotifier(dest: SlackDestination, deps: NotifierDeps): PacedNotifier {
  const secrets = secretsOf(dest);
  const timers = deps.timers ?? realTimers;
  // One client for the destination; each send's delivery id, signal and response travel in async context.
  const current = new AsyncLocalStorage<SendState>();
  const client = new IncomingWebhook(dest.url, {
    fetch: async (url, init) => {
      const state = current.getStore();
      if (!state) throw new Error('slack send outside a delivery');
      const headers = { ...(init?.headers as Record<string, string> | undefined), [DELIVERY_HEADER]: state.deliveryId };
      const res = await fetch(url, { ...init, headers, signal: state.signal, redirect: 'manual' } as RequestInit);
      state.response = { status: res.status, retryAfter: res.headers.get('retry-after') };
      return res;
    },
  });
  return {
    name: dest.name,
    type: dest.type,
    concurrency: 1,
    pacing: SLACK_PACING,
    async send(delivery, ctx): Promise<SendOutcome> {
      if (alertsOf(delivery).length === 0) return { ok: true };
      const timeout = new AbortController();
      const timer = timers.setTimeout(() => timeout.abort(), deps.timeoutMs);
      const signal = ctx?.signal ? AbortSignal.any([ctx.signal, timeout.signal]) : timeout.signal;
      const state: SendState = { deliveryId: delivery.id, signal };
      let failure: unknown;
      try {
        await current.run(state, () => client.send(slackPayload(dest, delivery)));
      } catch (err) {
        failure = err;
      } finally {
        timers.clearTimeout(timer);
      }
      // The same status matrix as every HTTP destination: from the response when there was one.
      const res = state.response;
      if (res) return classifyResponse(res.status, res.retryAfter, failure instanceof IncomingWebhookHTTPError ? failure.body : '', secrets, () => timers.now());
      return requestFailure(failure ?? new Error('no response'), timeout.signal.aborted);
    },
    render(alert) {
      return { body: slackPayload(dest, { kind: 'one', id: alert.id, alert }), headers: { 'content-type': 'application/json', [DELIVERY_HEADER]: alert.id } };
    },
  };
}
