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
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { SlackDestination } from '../../config/model.js';
import type { Alert } from '../../engine/alert.js';
import { classifyResponse, requestFailure } from '../http.js';
import { DELIVERY_HEADER, type Notifier, type NotifierDeps, type Pacing, type SendOutcome } from '../notifier.js';
import { secretsOf } from '../secrets.js';
import { alertMessage, digestMessage, type SlackMessage } from './render.js';

export const SLACK_PACING: Pacing = { perSecond: 1, burst: 3, digestAfterSeconds: 3, digestMax: 50 };

export function slackPayload(dest: SlackDestination, alerts: readonly Alert[]): IncomingWebhookSendArguments & SlackMessage {
  const msg = alerts.length === 1 ? alertMessage(alerts[0]!) : digestMessage(alerts);
  return {
    ...(dest.username ? { username: dest.username } : {}),
    ...(dest.iconEmoji ? { icon_emoji: dest.iconEmoji } : {}),
    ...(dest.channel ? { channel: dest.channel } : {}),
    ...msg,
    unfurl_links: false,
    unfurl_media: false,
  } as IncomingWebhookSendArguments & SlackMessage;
}

export function createSlackNotifier(dest: SlackDestination, deps: NotifierDeps): Notifier {
  const secrets = secretsOf(dest);
  return {
    name: dest.name,
    type: dest.type,
    concurrency: 1,
    pacing: SLACK_PACING,
    async send(alerts, ctx): Promise<SendOutcome> {
      if (alerts.length === 0) return { ok: true };
      let retryAfter: string | null = null;
      let status = 0;
      let timedOut = false;
      const timeout = AbortSignal.timeout(deps.timeoutMs);
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
      const client = new IncomingWebhook(dest.url, {
        fetch: async (url, init) => {
          try {
            const res = await fetch(url, { ...init, headers: { ...init?.headers, [DELIVERY_HEADER]: ctx.deliveryId }, signal, redirect: 'manual' } as RequestInit);
            status = res.status;
            retryAfter = res.headers.get('retry-after');
            return res;
          } catch (err) {
            timedOut = timeout.aborted;
            throw err;
          }
        },
      });
      try {
        await client.send(slackPayload(dest, alerts));
        return { ok: true, status: status || 200 };
      } catch (err) {
        if (err instanceof IncomingWebhookHTTPError) return classifyResponse(err.statusCode, retryAfter, err.body, secrets, Date.now);
        if (err instanceof IncomingWebhookRequestError) return requestFailure(err.original, timedOut || timeout.aborted);
        return requestFailure(err, timedOut || timeout.aborted);
      }
    },
    render(alert) {
      return { body: slackPayload(dest, [alert]), headers: { 'content-type': 'application/json', [DELIVERY_HEADER]: alert.id } };
    },
  };
}
