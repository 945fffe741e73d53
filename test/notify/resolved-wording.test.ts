/**
 * Every destination shows a resolved alert in the words the engine gave it
 * (its title and text), never the rule's firing templates.
 */
import { describe, expect, it } from 'vitest';
import type { Rule, WebhookDestination } from '../../src/model/config.js';
import type { Alert } from '../../src/model/alert.js';
import { Engine } from '../../src/engine/engine.js';
import { alertmanagerAlert } from '../../src/notify/alertmanager/index.js';
import { consoleBlock } from '../../src/notify/console/index.js';
import { alertMessage } from '../../src/notify/slack/render.js';
import { webhookBody } from '../../src/notify/webhook/index.js';
import { feed, rule, storm, T0 } from '../kit/rules.js';

const FIRING_TITLE = '3 5xx on payments for m-42';

function resolvedAlert(over: Partial<Rule> = {}): Alert {
  const base = rule({
    id: 'pay-5xx',
    description: 'Payments 5xx',
    resolve: true,
    window: { type: 'threshold', count: 3, within: '5m', groupBy: ['$.merchantId'] },
    title: '{{count}} 5xx on payments for {{group.merchantId}}',
    message: '{{count}} responses >= 500',
  });
  const alerts = feed(new Engine({ rules: [{ ...base, ...over }] }), storm(0, 3, 1, { merchantId: 'm-42' }), 1000);
  expect(alerts.map((a) => a.kind)).toEqual(['firing', 'resolved']);
  expect(alerts[0]!.title).toBe(FIRING_TITLE);
  return alerts[1]!;
}

describe('destinations show a resolved alert in its own words', () => {
  const alert = resolvedAlert();

  it('console: the [RESOLVED] first line with the resolved title, then its text', () => {
    const lines = consoleBlock(alert).split('\n');
    expect(lines[0]).toBe('[RESOLVED] WARNING Payments 5xx');
    expect(lines[1]).toBe('  No longer firing: 0 matching event(s) in the last 5m');
    expect(consoleBlock(alert)).not.toContain(FIRING_TITLE);
  });

  it('Slack: the header and section carry the resolved title and text', () => {
    const msg = alertMessage(alert);
    expect((msg.blocks[0] as { text: { text: string } }).text.text).toBe(':white_check_mark: RESOLVED: Payments 5xx');
    expect((msg.blocks[1] as { text: { text: string } }).text.text).toBe('No longer firing: 0 matching event(s) in the last 5m');
    expect(JSON.stringify(msg)).not.toContain(FIRING_TITLE);
  });

  it('webhook: the payload as built, and a body template sees the same title', () => {
    const plain: WebhookDestination = { type: 'webhook', name: 'hook', url: 'https://example.com/h', headers: {} };
    expect(webhookBody(plain, alert)).toBe(alert);
    const templated = webhookBody({ ...plain, body: { summary: '{{vars.status}} {{title}}: {{text}}' } }, alert);
    expect(templated).toEqual({ summary: 'RESOLVED Payments 5xx: No longer firing: 0 matching event(s) in the last 5m' });
  });

  it('Alertmanager: title and text annotations from the resolved alert, and endsAt set', () => {
    const am = alertmanagerAlert(alert, T0 + 10_000_000);
    expect(am.annotations).toMatchObject({ title: 'Payments 5xx', text: 'No longer firing: 0 matching event(s) in the last 5m' });
    expect(am.endsAt).toBe(alert.firedAt);
  });

  it('a rule\'s resolvedTitle and resolvedMessage reach every destination', () => {
    const own = resolvedAlert({ resolvedTitle: 'payments 5xx back to normal for {{group.merchantId}}', resolvedMessage: 'quiet for {{window}}' });
    expect(consoleBlock(own).split('\n').slice(0, 2)).toEqual(['[RESOLVED] WARNING payments 5xx back to normal for m-42', '  quiet for 5m']);
    expect(alertmanagerAlert(own, T0 + 10_000_000).annotations).toMatchObject({ title: 'payments 5xx back to normal for m-42', text: 'quiet for 5m' });
  });
});
