/**
 * Which log group of a refused session is the bad one. StartLiveTail fails
 * for the whole session when one of its groups is missing or denied; each
 * group is then asked about alone:
 * - not found: FilterLogEvents `limit: 1` over the last second on that group
 *   (no Live Tail session, works for ARNs of other accounts too);
 * - access denied: StartLiveTail on that group alone (IAM grants
 *   `logs:StartLiveTail` per resource, another operation would not tell),
 *   closed as soon as the service accepts it.
 * `bad` only for an answer naming that reason (or the other of the two);
 * anything else (throttled, quota, network) is `unknown`: the group stays in.
 */
import { FilterLogEventsCommand, StartLiveTailCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Timers } from '../time.js';
import { classifyError, describeError } from './errors.js';

export type GroupRefusal = 'not-found' | 'access-denied';

export type ProbeResult = { readonly state: 'ok' } | { readonly state: 'bad'; readonly reason: GroupRefusal; readonly error: string } | { readonly state: 'unknown'; readonly error: string };

export interface ProbeClients {
  readonly live: CloudWatchLogsClient;
  readonly api: CloudWatchLogsClient;
}

export async function probeGroup(clients: ProbeClients, arn: string, suspected: GroupRefusal, opts: { timeoutMs: number; timers: Timers }): Promise<ProbeResult> {
  const ctrl = new AbortController();
  const timer = opts.timers.setTimeout(() => ctrl.abort(), opts.timeoutMs);
  try {
    if (suspected === 'not-found') {
      const now = opts.timers.now();
      await clients.api.send(new FilterLogEventsCommand({ logGroupIdentifier: arn, limit: 1, startTime: now - 1_000, endTime: now }), { abortSignal: ctrl.signal });
    } else {
      const res = await clients.live.send(new StartLiveTailCommand({ logGroupIdentifiers: [arn] }), { abortSignal: ctrl.signal });
      ctrl.abort();
      // Drain what is left so the aborted stream does not surface as an unhandled rejection.
      void (async () => {
        try {
          for await (const _ of res.responseStream ?? []) break;
        } catch {
          // aborted by us
        }
      })();
    }
    return { state: 'ok' };
  } catch (err) {
    if (ctrl.signal.aborted) return { state: 'unknown', error: 'probe timed out' };
    const reason = classifyError(err);
    if (reason === 'not-found' || reason === 'access-denied') return { state: 'bad', reason, error: describeError(err) };
    return { state: 'unknown', error: describeError(err) };
  } finally {
    opts.timers.clearTimeout(timer);
  }
}
