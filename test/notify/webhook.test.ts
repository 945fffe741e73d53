import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookDestination } from '../../src/model/config.js';
import { createNotifier, sendOne } from '../../src/notify/index.js';
import { EXAMPLE_BODIES } from '../../src/notify/webhook/examples.js';
import { sampleAlert } from '../kit/alerts.js';
import { receiversPerTest } from '../kit/receiver.js';

const { receiver, cleanups } = receiversPerTest();
const hook = (url: string, over: Partial<WebhookDestination> = {}): WebhookDestination => ({ type: 'webhook', name: 'ops-hook', url: `${url}/hooks/tailwatch`, headers: { Authorization: 'Bearer t0ken-abc', 'X-Team': 'payments' }, ...over });

describe('the webhook destination', () => {
  it('POSTs the standard payload (the alert JSON) with the configured headers and the delivery id', async () => {
    const rx = await receiver();
    const alert = sampleAlert();
    expect((await sendOne(createNotifier(hook(rx.url), { timeoutMs: 2_000 }), alert)).ok).toBe(true);
    const [req] = rx.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/hooks/tailwatch');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['authorization']).toBe('Bearer t0ken-abc');
    expect(req!.headers['x-team']).toBe('payments');
    expect(req!.headers['x-tailwatch-delivery']).toBe(alert.id);
    expect(req!.headers['x-tailwatch-signature']).toBeUndefined();
    expect(JSON.parse(req!.body)).toEqual(alert);
  });

  it('sends credentials in the URL (https://user:pass@host) as a Basic Authorization header; a configured one wins', async () => {
    const rx = await receiver();
    const alert = sampleAlert();
    const withCreds = rx.url.replace('http://', 'http://tail%40watch:s3cr%3At@');
    expect((await sendOne(createNotifier(hook(withCreds, { headers: {} }), { timeoutMs: 2_000 }), alert)).ok).toBe(true);
    expect((await sendOne(createNotifier(hook(withCreds), { timeoutMs: 2_000 }), alert)).ok).toBe(true);
    expect(rx.requests.map((r) => r.headers['authorization'])).toEqual([`Basic ${Buffer.from('tail@watch:s3cr:t').toString('base64')}`, 'Bearer t0ken-abc']);
    expect(rx.requests[0]!.path).toBe('/hooks/tailwatch');
  });

  it('signs the exact body: X-Tailwatch-Signature = sha256=<hex HMAC-SHA256>', async () => {
    const rx = await receiver();
    const alert = sampleAlert({ text: 'ünïcödé ✓ "quoted" \n newline' });
    await sendOne(createNotifier(hook(rx.url, { secret: 's3cr3t-key' }), { timeoutMs: 2_000 }), alert);
    const [req] = rx.requests;
    const expected = 'sha256=' + createHmac('sha256', 's3cr3t-key').update(Buffer.from(req!.body, 'utf8')).digest('hex');
    expect(req!.headers['x-tailwatch-signature']).toBe(expected);
    const wrong = 'sha256=' + createHmac('sha256', 'other').update(req!.body).digest('hex');
    expect(req!.headers['x-tailwatch-signature']).not.toBe(wrong);
  });

  it('sends the body template tree instead when configured (types kept for lone placeholders)', async () => {
    const rx = await receiver();
    const alert = sampleAlert();
    const body = { summary: '{{title}} ({{rule.severity}})', count: '{{count}}', group: '{{group}}', first: '{{events.0.message}}', missing: '{{nope.x}}', fixed: [1, true, null] };
    await sendOne(createNotifier(hook(rx.url, { body, secret: 'k' }), { timeoutMs: 2_000 }), alert);
    const [req] = rx.requests;
    expect(JSON.parse(req!.body)).toEqual({ summary: '20 5xx on payments for m-42 (critical)', count: 20, group: { merchantId: 'm-42' }, first: '{"status":502,"path":"/v1/charges"}', missing: null, fixed: [1, true, null] });
    expect(req!.headers['x-tailwatch-signature']).toBe('sha256=' + createHmac('sha256', 'k').update(req!.body).digest('hex'));
  });

  it.each(Object.keys(EXAMPLE_BODIES))('renders the README example for %s', (name) => {
    const r = createNotifier(hook('http://127.0.0.1:9', { body: EXAMPLE_BODIES[name] }), { timeoutMs: 1_000 }).render(sampleAlert());
    const text = JSON.stringify(r.body);
    expect(text).toContain('20 5xx on payments for m-42');
    expect(text).not.toContain('{{');
    expect(r.headers['Authorization']).toBe('[redacted]');
  });
});

describe('the HTTP client under a storm', () => {
  it('keeps connections alive (sequential sends reuse one) and a response that breaks off mid-body is a retryable failure, not a hang', async () => {
    const http = await import('node:http');
    let connections = 0;
    let mode: 'ok' | 'break' = 'ok';
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (mode === 'ok') return void res.writeHead(200).end('ok');
        res.writeHead(500, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
      });
    });
    server.on('connection', () => connections++);
    server.keepAliveTimeout = 10_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const n = createNotifier(hook(`http://127.0.0.1:${(server.address() as { port: number }).port}`), { timeoutMs: 5_000 });
    for (let i = 0; i < 5; i++) expect((await sendOne(n, sampleAlert())).ok).toBe(true);
    expect(connections).toBe(1);
    mode = 'break';
    const broken = await sendOne(n, sampleAlert());
    expect(broken).toMatchObject({ ok: false, retry: true });
  });
});
