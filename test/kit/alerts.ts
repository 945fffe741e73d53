/** Hand-built alerts (the payload of docs/alerts.md) for delivery tests. */
import { createHash } from 'node:crypto';
import type { Alert } from '../../src/model/alert.js';

let seq = 0;

export function sampleAlert(over: Partial<Alert> & { ruleId?: string; labels?: Record<string, string> } = {}): Alert {
  const { ruleId, labels, ...rest } = over;
  const n = seq++;
  const id = createHash('md5').update(`alert-${n}-${process.pid}-${Math.random()}`).digest('hex');
  return {
    version: 1,
    kind: 'firing',
    id,
    firedAt: '2026-01-01T00:00:04.000Z',
    rule: { id: ruleId ?? 'payments-5xx-burst', description: 'Burst of 5xx on the payments API', severity: 'critical', labels: labels ?? { team: 'payments' } },
    group: { merchantId: 'm-42' },
    count: 20,
    window: '5m',
    firstEventAt: '2026-01-01T00:00:00.000Z',
    lastEventAt: '2026-01-01T00:00:04.000Z',
    suppressed: 0,
    sampled: false,
    title: '20 5xx on payments for m-42',
    text: '20 responses >= 500 in 5m. Last: upstream timeout',
    events: [
      { timestamp: 1767225600000, logGroup: '/ecs/payments', logStream: 'api-1', message: '{"status":502,"path":"/v1/charges"}' },
      { timestamp: 1767225604000, logGroup: '/ecs/payments', logStream: 'api-2', message: '{"status":503,"path":"/v1/charges"}' },
    ],
    links: { console: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fpayments' },
    ...rest,
  };
}
