/**
 * `type: alertmanager`: POST `<url>/api/v2/alerts` with one alert a request.
 *
 * - labels: `alertname` (= rule id), `severity`, the rule's labels, the group
 *   values (a group key that collides with a rule label gets `group_`; a
 *   null group value is left out — Alertmanager treats an empty label as
 *   absent anyway). Names are made valid for Alertmanager 0.25
 *   (`[a-zA-Z_][a-zA-Z0-9_]*`: `user.id` → `user_id`).
 * - annotations: `title`, `text`, `description` (the rule's), `tailwatch_id`;
 *   the texts at most 16 KiB (cut with "…").
 * - `startsAt` = the first event of the window; `endsAt` = the resolve time
 *   on a resolve (never later than now); `generatorURL` = the console link.
 *
 * tailwatch sends a firing once; Alertmanager marks it resolved after its
 * `resolve_timeout` (default 5m) unless it fires again or resolves first.
 * The same labels from several tailwatch instances deduplicate in
 * Alertmanager — the high-availability setup (SPEC §7).
 */
import type { AlertmanagerDestination } from '../../config/model.js';
import type { Alert } from '../../engine/alert.js';
import { HTTP_CONCURRENCY, postJson } from '../http.js';
import { DELIVERY_HEADER, type Notifier, type NotifierDeps } from '../notifier.js';
import { secretsOf } from '../secrets.js';
import { cut, inertAlert } from '../text.js';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

export function labelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(s) ? s : `_${s}`;
}

export function alertmanagerAlert(original: Alert, now: number): AmAlert {
  // Labels and annotations without lone surrogates or bidi controls from logs.
  const alert = inertAlert(original);
  // A Map: label names come from rules and logs, and `__proto__` or `constructor` are names like any other.
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(alert.rule.labels)) map.set(labelName(k), v);
  for (const [k, v] of Object.entries(alert.group)) {
    if (v === null) continue;
    let name = labelName(k);
    if (map.has(name) || name === 'alertname' || name === 'severity') name = labelName(`group_${k}`);
    map.set(name, String(v));
  }
  map.set('alertname', alert.rule.id);
  map.set('severity', alert.rule.severity);
  const labels: Record<string, string> = Object.fromEntries(map);
  // Cut here too: the outbox may hold alerts decided before the engine cut rendered texts.
  const annotations: Record<string, string> = { title: cut(alert.title), text: cut(alert.text), tailwatch_id: alert.id };
  if (alert.rule.description) annotations['description'] = cut(alert.rule.description);
  const out: AmAlert = { labels, annotations, startsAt: alert.firstEventAt || alert.firedAt };
  if (alert.kind === 'resolved') out.endsAt = new Date(Math.min(Date.parse(alert.firedAt) || now, now)).toISOString();
  if (alert.links.console) out.generatorURL = alert.links.console;
  return out;
}

export function alertsEndpoint(url: string): string {
  return url.replace(/\/+$/, '') + '/api/v2/alerts';
}

export function createAlertmanagerNotifier(dest: AlertmanagerDestination, deps: NotifierDeps): Notifier {
  const secrets = secretsOf(dest);
  const endpoint = alertsEndpoint(dest.url);
  const headers = (deliveryId: string, redact: boolean) => {
    const h: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tailwatch' };
    for (const [k, v] of Object.entries(dest.headers)) h[k] = redact ? '[redacted]' : v;
    h[DELIVERY_HEADER] = deliveryId;
    return h;
  };
  return {
    name: dest.name,
    type: dest.type,
    concurrency: HTTP_CONCURRENCY,
    async send(alerts, ctx) {
      if (alerts.length === 0) return { ok: true };
      const body = JSON.stringify(alerts.map((a) => alertmanagerAlert(a, Date.now())));
      return postJson({ url: endpoint, body, headers: headers(ctx.deliveryId, false), timeoutMs: deps.timeoutMs, signal: ctx.signal, secrets });
    },
    render(alert) {
      return { body: [alertmanagerAlert(alert, Date.now())], headers: headers(alert.id, true) };
    },
  };
}
