/**
 * An alert as Alertmanager's `POST /api/v2/alerts` takes it. Everything here
 * is a function of the alert and the destination's config — no host name,
 * process id, clock or random value — so identical daemons (replicas) post
 * byte-identical firings and Alertmanager deduplicates them by their labels.
 */
import type { Alert } from '../../model/alert.js';
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

/**
 * `externalLabels` are added last and never replace a label the alert has (as Prometheus's external
 * labels do not).
 */
export function alertmanagerAlert(original: Alert, now: number, externalLabels: Readonly<Record<string, string>> = {}): AmAlert {
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
  for (const [k, v] of Object.entries(externalLabels)) if (!map.has(k)) map.set(k, v);
  const labels: Record<string, string> = Object.fromEntries(map);
  // Cut here too: the outbox may hold alerts decided before the engine cut rendered texts.
  const annotations: Record<string, string> = { title: cut(alert.title), text: cut(alert.text), tailwatch_id: alert.id };
  if (alert.rule.description) annotations['description'] = cut(alert.rule.description);
  const out: AmAlert = { labels, annotations, startsAt: alert.firstEventAt || alert.firedAt };
  if (alert.kind === 'resolved') out.endsAt = new Date(Math.min(Date.parse(alert.firedAt) || now, now)).toISOString();
  if (alert.links.console) out.generatorURL = alert.links.console;
  return out;
}

/** Alertmanager's identity of an alert: its label set (order-free). */
export function identity(alert: AmAlert): string {
  return JSON.stringify(Object.entries(alert.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function alertsEndpoint(url: string): string {
  return url.replace(/\/+$/, '') + '/api/v2/alerts';
}
