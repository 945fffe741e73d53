/**
 * `type: webhook`: POST the alert (the standard payload, schema/alert.schema.json, or the configured `body`
 * template rendered over it) with the configured headers, the delivery id,
 * and `X-Tailwatch-Signature: sha256=<hex HMAC-SHA256 of the exact body>`
 * when a `secret` is set.
 */
import { createHash, createHmac } from 'node:crypto';
import type { WebhookDestination } from '../../model/config.js';
import type { Alert } from '../../model/alert.js';
import { HTTP_CONCURRENCY, postJson } from '../http.js';
import { DELIVERY_HEADER, type NotifierDeps, type RenderedRequest, type UnpacedNotifier } from '../notifier.js';
import { secretsOf } from '../secrets.js';
import { inertAlert } from '../text.js';
import { renderTemplate } from './template.js';

export const SIGNATURE_HEADER = 'X-Tailwatch-Signature';

/** The body: the alert (or the `body` template over it), lone surrogates and bidi controls from logs replaced. */
export function webhookBody(dest: WebhookDestination, alert: Alert): unknown {
  const safe = inertAlert(alert);
  return dest.body === undefined || dest.body === null ? safe : renderTemplate(dest.body, templateRoot(safe));
}

/**
 * What a `body` template sees: the alert payload plus `vars`, values that
 * templates cannot compute (they have no conditionals): `status`
 * (FIRING/RESOLVED), `pagerdutyAction` (trigger/resolve), `groupKey` (stable
 * per rule + group, the same for a firing and its resolve: a dedup key),
 * `color` (Discord's decimal RGB by severity, green on resolve).
 */
export function templateRoot(alert: Alert): unknown {
  const resolved = alert.kind === 'resolved';
  const colors: Record<string, number> = { critical: 0xd93025, error: 0xf57c00, warning: 0xf9ab00, info: 0x1a73e8 };
  const groupKey = createHash('sha256').update(alert.rule.id).update('\0').update(JSON.stringify(Object.entries(alert.group).sort(([a], [b]) => (a < b ? -1 : 1)))).digest('hex').slice(0, 32);
  return {
    ...alert,
    vars: {
      status: resolved ? 'RESOLVED' : 'FIRING',
      pagerdutyAction: resolved ? 'resolve' : 'trigger',
      groupKey,
      color: resolved ? 0x188038 : (colors[alert.rule.severity] ?? 0x5f6368),
    },
  };
}

export function signature(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export function createWebhookNotifier(dest: WebhookDestination, deps: NotifierDeps): UnpacedNotifier {
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
    concurrency: HTTP_CONCURRENCY,
    async send(alert, ctx) {
      const r = request(alert, alert.id, false);
      return postJson({ url: dest.url, body: r.body, headers: r.headers, timeoutMs: deps.timeoutMs, signal: ctx?.signal, secrets, timers: deps.timers });
    },
    render(alert): RenderedRequest {
      const r = request(alert, alert.id, true);
      return { body: r.value, headers: r.headers };
    },
  };
}
