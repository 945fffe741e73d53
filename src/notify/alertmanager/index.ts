/**
 * `type: alertmanager`: POST `<peer>/api/v2/alerts` to every peer of the
 * cluster (`peers`, or the one `url`), one alert a request — as Prometheus
 * posts to every Alertmanager it knows: peers do not share alerts, only
 * silences and the notification log, and the log is what makes the cluster
 * notify once.
 *
 * The payload (payload.ts): labels (`alertname`, `severity`, rule labels,
 * group values, `externalLabels`), annotations, `startsAt`; `endsAt` on a
 * resolve. The first post of a firing has no `endsAt` (Alertmanager applies
 * its `resolve_timeout`), so every replica posts the same bytes.
 *
 * A send succeeds when at least one peer accepted it: the cluster has the
 * alert. A peer that failed is logged and catches up by the re-posts (every
 * `resendInterval`: reposter.ts), not by the outbox — a peer that is down
 * must neither hold the others back nor turn delivered alerts into retries
 * and, after `delivery.maxAge`, drops. When every peer fails, the outcome is
 * the most hopeful one (retry if any peer may take it later).
 *
 * In the daemon (the dispatcher passes `stateDir` and `ruleResolves`), a
 * delivered firing of a rule with `resolve: true` is recorded as open in
 * `<state.dir>/alertmanager.sqlite` until its resolve is delivered, and the
 * re-poster posts the open ones again. `notify-test` and `replay` re-post nothing.
 */
import { createHash } from 'node:crypto';
import type { AlertmanagerDestination } from '../../model/config.js';
import type { Alert } from '../../model/alert.js';
import { HTTP_CONCURRENCY, postJson } from '../http.js';
import { DELIVERY_HEADER, type NotifierDeps, type SendOutcome, type UnpacedNotifier } from '../notifier.js';
import { secretsOf } from '../secrets.js';
import { openOpenSet, type OpenSet } from './open-set.js';
import { alertmanagerAlert, alertsEndpoint, identity, type AmAlert } from './payload.js';
import type { Timers } from '../../time.js';
import { Reposter, systemClock, type Clock } from './reposter.js';

export { alertmanagerAlert, alertsEndpoint, labelName, type AmAlert } from './payload.js';

/** `resendInterval` when the config leaves it out (Prometheus's `resend_delay`). */
export const DEFAULT_RESEND_INTERVAL_MS = 60_000;

/** The re-poster's clock over the injected timers (its timers do not keep the process alive). */
function reposterClock(timers: Timers): Clock {
  return {
    now: () => timers.now(),
    setTimeout: (fn, ms) => timers.setTimeout(() => void fn(), ms, { unref: true }),
    clearTimeout: (h) => timers.clearTimeout(h as ReturnType<Timers['setTimeout']>),
  };
}

/** `clock`: the re-poster's and the payload's clock (default: `deps.timers`, else the system's). */
export function createAlertmanagerNotifier(dest: AlertmanagerDestination, deps: NotifierDeps, clockArg?: Clock): UnpacedNotifier {
  const clock: Clock = clockArg ?? (deps.timers ? reposterClock(deps.timers) : systemClock);
  const peers = dest.peers && dest.peers.length > 0 ? dest.peers : [dest.url];
  const secrets = [...new Set(peers.flatMap((url) => secretsOf({ url, headers: dest.headers })))].sort((a, b) => b.length - a.length);
  const endpoints = peers.map(alertsEndpoint);
  const externalLabels = dest.externalLabels ?? {};
  const log = deps.logger;
  const headers = (deliveryId: string, redact: boolean) => {
    const h: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tailwatch' };
    for (const [k, v] of Object.entries(dest.headers)) h[k] = redact ? '[redacted]' : v;
    h[DELIVERY_HEADER] = deliveryId;
    return h;
  };
  const postAll = (body: string, deliveryId: string, signal?: AbortSignal): Promise<SendOutcome[]> =>
    Promise.all(endpoints.map((url) => postJson({ url, body, headers: headers(deliveryId, false), timeoutMs: deps.timeoutMs, signal, secrets, timers: deps.timers })));

  let set: OpenSet | undefined;
  let reposter: Reposter | undefined;
  let closed = false;
  if (deps.stateDir !== undefined && deps.ruleResolves) {
    try {
      set = openOpenSet(deps.stateDir, dest.name);
      const ruleResolves = deps.ruleResolves;
      reposter = new Reposter({
        set,
        intervalMs: dest.resendIntervalMs ?? DEFAULT_RESEND_INTERVAL_MS,
        // A re-post round's delivery id names the round's alerts, like a digest's.
        post: (alerts, signal) => postAll(JSON.stringify(alerts), roundId(alerts), signal),
        resolves: ruleResolves,
        clock,
        logger: log,
      });
      reposter.start();
    } catch (err) {
      log?.error({ code: (err as { code?: unknown })?.code ?? (err as Error)?.name }, 'alertmanager: open firings cannot be stored; firings are posted once, not re-posted');
    }
  }

  /**
   * A peer that failed while another took the alert: logged when its problem starts or changes and
   * when it takes alerts again — not once per alert (a storm against a dead peer is one line).
   */
  const peerProblems = new Map<number, string>();
  function peerHealth(outcomes: readonly SendOutcome[], deliveryId: string): void {
    outcomes.forEach((o, i) => {
      const problem = o.ok ? undefined : `${o.reason}: ${o.detail}`;
      if (problem === peerProblems.get(i)) return;
      if (o.ok) {
        peerProblems.delete(i);
        log?.info({ peer: i + 1 }, 'alertmanager: peer takes alerts again');
      } else {
        peerProblems.set(i, problem!);
        log?.warn({ peer: i + 1, alert: deliveryId, reason: o.reason, status: o.status, error: o.detail }, 'alertmanager: a peer did not take the alert; the other peers did');
      }
    });
  }

  /** After a delivery: firings of resolving rules open, resolves close (best effort: the alert went out). */
  function remember(alerts: readonly Alert[], bodies: readonly AmAlert[]): void {
    if (!set || closed) return;
    try {
      alerts.forEach((a, i) => {
        const am = bodies[i]!;
        const key = createHash('sha256').update(identity(am)).digest('hex');
        const at = Date.parse(a.firedAt) || 0;
        if (a.kind === 'resolved') set!.resolved(key, a.rule.id, at, am, clock.now());
        else if (deps.ruleResolves?.(a.rule.id)) set!.fired(key, a.rule.id, at, am);
      });
    } catch (err) {
      log?.error({ code: (err as { code?: unknown })?.code ?? (err as Error)?.name }, 'alertmanager: could not record open firings; they are not re-posted');
    }
  }

  return {
    name: dest.name,
    type: dest.type,
    concurrency: HTTP_CONCURRENCY,
    async send(alert, ctx) {
      // A re-post round in flight could land after this resolve and reopen the alert: let it finish.
      if (reposter && alert.kind === 'resolved') await reposter.idle();
      // Alertmanager's API takes a list; one alert a request, as every unpaced destination.
      const bodies = [alertmanagerAlert(alert, clock.now(), externalLabels)];
      const outcomes = await postAll(JSON.stringify(bodies), alert.id, ctx?.signal);
      const outcome = combine(outcomes);
      if (outcome.ok) {
        remember([alert], bodies);
        peerHealth(outcomes, alert.id);
      }
      return outcome;
    },
    render(alert) {
      return { body: [alertmanagerAlert(alert, clock.now(), externalLabels)], headers: headers(alert.id, true) };
    },
    close() {
      closed = true;
      reposter?.stop();
      set?.close();
    },
  };
}

/** One outcome for the cluster: ok when a peer accepted; else a retryable failure if any, else the first. */
export function combine(outcomes: readonly SendOutcome[]): SendOutcome {
  const ok = outcomes.find((o) => o.ok);
  if (ok) return ok;
  const failed = outcomes as readonly Extract<SendOutcome, { ok: false }>[];
  const retryable = failed.filter((o) => o.retry);
  if (retryable.length === 0) return failed[0]!;
  // The peer that may take it soonest decides the wait.
  return retryable.reduce((a, b) => ((b.retryAfterMs ?? 0) < (a.retryAfterMs ?? 0) ? b : a));
}

function roundId(alerts: readonly AmAlert[]): string {
  const h = createHash('sha256');
  for (const a of alerts) h.update(a.annotations['tailwatch_id'] ?? '').update('\n');
  return 'repost-' + h.digest('hex').slice(0, 32);
}
