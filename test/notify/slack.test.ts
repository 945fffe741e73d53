import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SlackDestination } from '../../src/model/config.js';
import type { Alert } from '../../src/model/alert.js';
import { createNotifier, createOutboxSink, deliveryOf, DELIVERY_HEADER, sendOne } from '../../src/notify/index.js';
import { createSlackNotifier } from '../../src/notify/slack/index.js';
import { LIMITS } from '../../src/notify/slack/render.js';
import { sampleAlert } from '../kit/alerts.js';
import { captureLog } from '../kit/log.js';
import { receiversPerTest, type Receiver } from '../kit/receiver.js';
import { SteppedClock } from '../kit/stepped-clock.js';
import { until } from '../kit/until.js';

type Block = { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: { type: string; text?: unknown; url?: string }[] };
type Body = { text: string; blocks: Block[]; username?: string; channel?: string; icon_emoji?: string };

const { receiver, cleanups } = receiversPerTest();

const slack = (url: string): SlackDestination => ({ type: 'slack', name: 'oncall-slack', url: `${url}/services/T0/B0/SECRETxyz123`, username: 'tailwatch', iconEmoji: ':rotating_light:', channel: '#oncall' });

/** Every mrkdwn text object in a message. */
function mrkdwnTexts(body: Body): string[] {
  const out: string[] = [];
  for (const b of body.blocks) {
    if (b.text?.type === 'mrkdwn') out.push(b.text.text);
    for (const f of b.fields ?? []) out.push(f.text);
    for (const e of b.elements ?? []) if (e.type === 'mrkdwn') out.push(String(e.text));
  }
  return out;
}

function expectWithinLimits(body: Body): void {
  expect(body.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of body.blocks) {
    if (b.type === 'header') expect(b.text!.text.length).toBeLessThanOrEqual(150);
    if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
    for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    if (b.fields) expect(b.fields.length).toBeLessThanOrEqual(10);
  }
  expect(JSON.stringify(body).length).toBeLessThan(12_000);
  expect(body.text.length).toBeLessThanOrEqual(LIMITS.fallback);
}

/** A sink on a stepped clock: pacing, backoff and Retry-After move only when the test advances it. */
function sink(rx: Receiver, over: Partial<{ retryInitialMs: number; retryMaxMs: number; maxAgeMs: number }> = {}) {
  const clock = new SteppedClock();
  const log = captureLog();
  const delivered: number[] = [];
  const failed: string[] = [];
  const dropped: string[] = [];
  const s = createOutboxSink({
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'tw-slack-')),
    destinations: { 'oncall-slack': slack(rx.url) },
    delivery: { retryInitialMs: 100, retryMaxMs: 400, maxAgeMs: 60_000, timeoutMs: 2_000, maxQueued: 10_000, ...over },
    logger: log.logger,
    timers: clock,
    metrics: { delivered: (_d, n) => delivered.push(n), failed: (_d, r) => failed.push(r), dropped: (_d, r) => dropped.push(r) },
  });
  s.start();
  cleanups.push(() => clock.runWhile(s.close(500)));
  /** Each send answered and recorded (nothing in flight), moves the clock `stepMs`; until `cond`. */
  const drive = async (cond: () => boolean, stepMs = 100): Promise<void> => {
    for (let i = 0; !cond(); i++) {
      if (i > 10_000) throw new Error('drive: condition not met');
      await until(() => rx.requests.length === delivered.length + failed.length);
      if (!cond()) await clock.advance(stepMs);
    }
  };
  return { s, log, delivered, failed, dropped, clock, drive };
}

describe('the slack message, as the real @slack/webhook client sends it', () => {
  it('has a header with severity and title, the text, fields, samples in a code block, a console link and a fallback', async () => {
    const rx = await receiver();
    const alert = sampleAlert();
    const out = await sendOne(createNotifier(slack(rx.url), { timeoutMs: 2_000 }), alert);
    expect(out).toMatchObject({ ok: true, status: 200 });
    const [req] = rx.requests;
    expect(req!.path).toBe('/services/T0/B0/SECRETxyz123');
    expect(req!.headers['user-agent']).toMatch(/@slack:webhook/);
    expect(req!.headers[DELIVERY_HEADER.toLowerCase()]).toBe(alert.id);
    const body = JSON.parse(req!.body) as Body;
    expect(body).toMatchObject({ username: 'tailwatch', channel: '#oncall', icon_emoji: ':rotating_light:' });
    const types = body.blocks.map((b) => b.type);
    expect(types).toEqual(['header', 'section', 'section', 'section', 'context', 'actions']);
    expect(body.blocks[0]!.text!.text).toBe(':red_circle: CRITICAL: 20 5xx on payments for m-42');
    expect(body.blocks[1]!.text!.text).toBe('20 responses &gt;= 500 in 5m. Last: upstream timeout');
    expect(body.blocks[2]!.fields!.map((f) => f.text)).toEqual(['*Rule*\npayments-5xx-burst', '*Group*\nmerchantId=m-42', '*Count*\n20', '*Window*\n5m', '*Log group*\n/ecs/payments']);
    expect(body.blocks[3]!.text!.text).toBe('```\n{"status":502,"path":"/v1/charges"}\n{"status":503,"path":"/v1/charges"}\n```');
    expect(body.blocks[5]!.elements![0]!.url).toBe(alert.links.console);
    expect(body.text).toBe('[CRITICAL] 20 5xx on payments for m-42 (rule payments-5xx-burst, merchantId=m-42, count 20)');
    expectWithinLimits(body);
  });

  it('styles a resolve as such (no samples)', async () => {
    const rx = await receiver();
    const alert = sampleAlert({ kind: 'resolved', title: 'payments 5xx back to normal', count: 2 });
    await sendOne(createNotifier(slack(rx.url), { timeoutMs: 2_000 }), alert);
    const body = JSON.parse(rx.requests[0]!.body) as Body;
    expect(body.blocks[0]!.text!.text).toBe(':white_check_mark: RESOLVED: payments 5xx back to normal');
    expect(body.blocks.some((b) => b.text?.text.startsWith('```'))).toBe(false);
    expect(body.text).toMatch(/^\[RESOLVED\] /);
  });
});

describe('hostile log lines in a slack message', () => {
  const hostile = [
    '<!channel> deploy now',
    'ping <@U123> and <!here> and @channel @here',
    'see <https://evil.example|click> & <mailto:x@evil.example>',
    'break ``` out ```` of the block `',
    'x'.repeat(100_000),
    '&<>'.repeat(20_000),
    'ctrl \u0007\u001b[31m chars\r\nnext',
  ];
  const alert = sampleAlert({
    title: 'title <!channel> `` ` <@U1>',
    text: 'text <https://evil.example|click> ``` & ' + 'y'.repeat(100_000),
    group: { merchantId: '<!everyone>' },
    rule: { id: 'r', description: '', severity: 'error', labels: {} },
    events: hostile.slice(0, 5).map((m, i) => ({ timestamp: i, logGroup: '/g/<!here>', logStream: 's', message: m })),
  });

  it('renders inert and within limits', async () => {
    const rx = await receiver();
    const out = await sendOne(createNotifier(slack(rx.url), { timeoutMs: 2_000 }), alert);
    expect(out.ok).toBe(true);
    const body = JSON.parse(rx.requests[0]!.body) as Body;
    expectWithinLimits(body);
    const texts = [...mrkdwnTexts(body), body.text];
    for (const t of texts) {
      // no Slack control sequence survives: every < and > is escaped, every & starts an entity
      expect(t).not.toMatch(/[<>]/);
      expect(t).not.toMatch(/&(?!amp;|lt;|gt;)/);
      expect(t).not.toMatch(/@(channel|here|everyone)/);
    }
    const code = body.blocks.find((b) => b.text?.text.startsWith('```'))!.text!.text;
    // exactly the opening and closing fence: nothing inside can close the block
    expect(code.match(/```/g)).toHaveLength(2);
    expect(code.slice(3, -3)).not.toContain('`');
    expect(code).toContain('break ˋˋˋ out');
    expect(code).toContain('&lt;!channel&gt; deploy now');
    expect(code).toContain('…');
    expect(body.blocks[0]!.text!.type).toBe('plain_text');
  });

  it('a digest of hostile alerts is inert and within limits too', async () => {
    const rx = await receiver();
    const many: Alert[] = Array.from({ length: 50 }, (_, i) => ({ ...alert, id: `${i}`.padStart(32, '0'), title: `<!channel> ${'z'.repeat(500)} ${i}` }));
    expect((await createSlackNotifier(slack(rx.url), { timeoutMs: 2_000 }).send(deliveryOf(many))).ok).toBe(true);
    const body = JSON.parse(rx.requests[0]!.body) as Body;
    expectWithinLimits(body);
    for (const t of [...mrkdwnTexts(body), body.text]) expect(t).not.toMatch(/[<>]|@channel/);
    expect(body.blocks[0]!.text!.text).toMatch(/^50 alerts: 50 error/);
  });
});

describe('slack delivery through the outbox', () => {
  it('waits for Retry-After (2 s) after a 429', async () => {
    const rx = await receiver();
    rx.script({ status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } });
    const { s, failed, delivered, clock } = sink(rx);
    s.enqueue({ alert: sampleAlert(), destinations: ['oncall-slack'] });
    await until(() => failed.length === 1);
    const t0 = clock.now();
    // The destination's next wake-up is when Retry-After ends (not the 100 ms backoff).
    expect(clock.nextAt()).toBe(t0 + 2_000);
    await clock.advance(1_999);
    expect(rx.requests).toHaveLength(1);
    await clock.advance(1);
    await until(() => delivered.length === 1);
    const [first, second] = rx.requests;
    expect(second!.headers[DELIVERY_HEADER.toLowerCase()]).toBe(first!.headers[DELIVERY_HEADER.toLowerCase()]);
    expect(failed).toEqual(['rate-limited']);
  });

  it('after 500 three times, delivers exactly once', async () => {
    const rx = await receiver();
    rx.script({ status: 500, body: 'a' }, { status: 500, body: 'b' }, { status: 500, body: 'c' });
    const { s, failed, delivered, log, clock, drive } = sink(rx);
    s.enqueue({ alert: sampleAlert(), destinations: ['oncall-slack'] });
    await drive(() => s.depth() === 0);
    await clock.advance(60_000);
    expect(rx.requests).toHaveLength(4);
    expect(delivered).toEqual([1]);
    expect(failed).toEqual(['server-error', 'server-error', 'server-error']);
    expect(log.lines.filter((l) => l['msg'] === 'delivery failed; will retry')).toHaveLength(3);
  });

  it('treats 404 as permanent: not retried, counted, logged with the receiver text and never the URL', async () => {
    const rx = await receiver();
    rx.script({ status: 404, body: 'no_service' });
    const { s, failed, dropped, log, clock, drive } = sink(rx);
    s.enqueue({ alert: sampleAlert(), destinations: ['oncall-slack'] });
    await drive(() => s.depth() === 0);
    await clock.advance(60_000);
    expect(rx.requests).toHaveLength(1);
    expect(failed).toEqual(['client-error']);
    expect(dropped).toEqual(['permanent']);
    const line = log.lines.find((l) => l['msg'] === 'delivery failed permanently; not retried')!;
    expect(line).toMatchObject({ destination: 'oncall-slack', status: 404, error: 'HTTP 404: no_service' });
    expect(log.text()).not.toContain('SECRETxyz123');
    expect(log.text()).not.toContain(rx.url);
  });

  it('folds a storm of 200 alerts into a few digest messages within Slack limits', async () => {
    const rx = await receiver();
    const { s, delivered, clock, drive } = sink(rx);
    // When each message went, on the dispatcher's clock.
    const sentAt: number[] = [];
    rx.respond(() => {
      sentAt.push(clock.now());
      return { status: 200 };
    });
    const alerts = Array.from({ length: 200 }, (_, i) => sampleAlert({ title: `error burst ${i}`, group: { merchantId: `m-${i}` } }));
    for (const a of alerts) s.enqueue({ alert: a, destinations: ['oncall-slack'] });
    await drive(() => s.depth() === 0);
    const bodies = rx.requests.map((r) => JSON.parse(r.body) as Body);
    expect(bodies.length).toBeLessThanOrEqual(8);
    expect(delivered.reduce((a, b) => a + b, 0)).toBe(200);
    const digests = bodies.filter((b) => /^\d+ alerts: /.test(b.blocks[0]!.text!.text));
    expect(digests.length).toBeGreaterThanOrEqual(3);
    for (const b of bodies) expectWithinLimits(b);
    // every alert is in some message (title or digest line)
    const all = bodies.map((b) => JSON.stringify(b)).join('\n');
    for (let i = 0; i < 200; i++) expect(all).toContain(`error burst ${i} ·`);
    // paced: one a second after a burst of 3
    const span = sentAt.at(-1)! - sentAt[0]!;
    expect(span).toBeGreaterThanOrEqual((bodies.length - 3) * 1_000);
    expect(span).toBeLessThanOrEqual((bodies.length - 3) * 1_000 + 100);
    console.log(`storm: ${bodies.length} messages (${digests.map((d) => d.blocks[0]!.text!.text.split(':')[0]).join(', ')}), ${span} ms, largest ${Math.max(...bodies.map((b) => JSON.stringify(b).length))} chars`);
  });
});
