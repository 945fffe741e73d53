/**
 * Lone surrogates and bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE, the
 * isolates, LRM/RLM/ALM) in a log line never reach a destination: everything rendered from logs
 * for Slack, webhooks, Alertmanager and the console has them replaced (U+FFFD; shown as escapes
 * on the console), while well-formed text — emoji, Arabic, Hebrew — passes unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { ConsoleDestination, SlackDestination, WebhookDestination } from '../../src/model/config.js';
import type { Alert } from '../../src/model/alert.js';
import { Engine } from '../../src/engine/engine.js';
import { alertmanagerAlert } from '../../src/notify/alertmanager/index.js';
import { consoleBlock } from '../../src/notify/console/index.js';
import { createNotifier, deliveryOf } from '../../src/notify/index.js';
import { slackPayload } from '../../src/notify/slack/index.js';
import { EXAMPLE_BODIES } from '../../src/notify/webhook/examples.js';
import { webhookBody } from '../../src/notify/webhook/index.js';
import { ev, feed, rule } from '../kit/rules.js';

const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];
const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];
const FRIENDLY = 'ok 😀 שלום مرحبا';

/** Any bidi control or lone surrogate. */
const UNSAFE = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function hostileAlert(): Alert {
  const line = `user=${BIDI.join('x')} ${LONE.join('y')} exe.txt\u202etxt.exe ${FRIENDLY} tail\ud83d`;
  const r = rule({
    id: 'bidi',
    throttle: '0s',
    logGroups: ['/app'],
    region: 'eu-west-1',
    window: { type: 'threshold', count: 1, within: '1m', groupBy: ['$.who'] },
    title: 'from {{group.who}}',
    message: 'Last: {{event.message}}',
  });
  // Raw characters inside the JSON line (JSON.stringify would write the lone surrogates as \\u escapes).
  const [a] = feed(new Engine({ rules: [r] }), [ev(0, `{"who":"ev\u202eil\ud800","line":"${line}"}`, { logStream: `stream\u202e\udc00` })]);
  expect(a!.text).toMatch(UNSAFE); // the engine keeps the line as it was; destinations make it safe
  return a!;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

/** No string in the body, nor in the body as sent (JSON, parsed back: a lone surrogate survives as an escape), has one. */
function expectSafe(body: unknown): void {
  for (const s of [...strings(body), ...strings(JSON.parse(JSON.stringify(body)))]) expect(s, JSON.stringify(s)).not.toMatch(UNSAFE);
}

describe('lone surrogates and bidi controls from logs', () => {
  const alert = hostileAlert();

  it('are replaced in the Slack message (single and digest)', () => {
    const dest: SlackDestination = { type: 'slack', name: 's', url: 'https://hooks.slack.com/services/T/B/X' } as SlackDestination;
    const one = slackPayload(dest, deliveryOf([alert]));
    expectSafe(one);
    expect(JSON.stringify(one)).toContain('😀');
    expectSafe(slackPayload(dest, deliveryOf([alert, { ...alert, id: 'other' }])));
  });

  it('are replaced in the webhook body, the alert payload and every example body template', () => {
    const hook = { type: 'webhook', name: 'w', url: 'https://example.com/h', headers: {} } as unknown as WebhookDestination;
    const body = webhookBody(hook, alert) as Alert;
    expectSafe(body);
    expect(body.text).toContain(`exe.txt\ufffdtxt.exe ${FRIENDLY}`);
    expect(body.id).toBe(alert.id);
    for (const [name, template] of Object.entries(EXAMPLE_BODIES)) expectSafe(webhookBody({ ...hook, name, body: template } as WebhookDestination, alert));
    // The signed, sent body too.
    const rendered = createNotifier({ ...hook, secret: 's3cret' } as WebhookDestination, { timeoutMs: 1000 }).render(alert);
    expectSafe(rendered.body);
  });

  it('are replaced in the Alertmanager labels and annotations', () => {
    const am = alertmanagerAlert(alert, Date.now());
    expectSafe(am);
    expect(am.labels['who']).toBe('ev\ufffdil\ufffd');
  });

  it('are shown as escapes on the console', () => {
    const block = consoleBlock(alert);
    expect(block).not.toMatch(UNSAFE);
    expect(block).toContain('exe.txt\\u202etxt.exe');
    expect(block).toContain('\\ud800');
    expect(block).toContain('😀');
    const dest: ConsoleDestination = { type: 'console', name: 'c' } as ConsoleDestination;
    expect(createNotifier(dest, { timeoutMs: 1000 }).render(alert).body).toBe(block);
  });

  it('a cut never leaves half a surrogate pair on the console', () => {
    const block = consoleBlock({ ...alert, text: 'a'.repeat(497) + '😀😀😀' });
    expect(block).not.toMatch(UNSAFE);
  });
});
