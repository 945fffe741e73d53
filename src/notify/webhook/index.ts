/**
 * `type: webhook`: POST the alert (SPEC §7 payload, or the configured `body`
 * template rendered over it) with the configured headers, the delivery id,
 * and `X-Tailwatch-Signature: sha256=<hex HMAC-SHA256 of the exact body>`
 * when a `secret` is set.
 */
import { createHmac } from 'node:crypto';
import type { WebhookDestination } from '../../config/model.js';
import type { Alert } from '../../engine/alert.js';
import { postJson } from '../http.js';
import { DELIVERY_HEADER, type Notifier, type NotifierDeps, type RenderedRequest } from '../notifier.js';
import { secretsOf } from '../secrets.js';
import { renderTemplate } from './template.js';

export const SIGNATURE_HEADER = 'X-Tailwatch-Signature';

export function webhookBody(dest: WebhookDestination, alert: Alert): unknown {
  return dest.body === undefined || dest.body === null ? alert : renderTemplate(dest.body, alert);
}

export function signature(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export function createWebhookNotifier(dest: WebhookDestination, deps: NotifierDeps): Notifier {
  const secrets = secretsOf(dest);
  const request = (alert: Alert, deliveryId: string, redact: boolean) => {
    const value = webhookBody(dest, alert);
    const body = JSON.stringify(value);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tailwatch' };
    for (const [k, v] of Object.entries(dest.headers)) headers[k] = redact ? '[redacted]' : v;
    headers[DELIVERY_HEADER] = deliveryId;
    if (dest.secret) headers[SIGNATURE_HEADER] = signature(dest.secret, body);
    return { value, body, headers };
  };
  return {
    name: dest.name,
    type: dest.type,
    concurrency: 4,
    async send(alerts, ctx) {
      const alert = alerts[0];
      if (!alert) return { ok: true };
      const r = request(alert, ctx.deliveryId, false);
      return postJson({ url: dest.url, body: r.body, headers: r.headers, timeoutMs: deps.timeoutMs, signal: ctx.signal, secrets });
    },
    render(alert): RenderedRequest {
      const r = request(alert, alert.id, true);
      return { body: r.value, headers: r.headers };
    },
  };
}
