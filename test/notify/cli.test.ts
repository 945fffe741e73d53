/** `tailwatch notify-test` and `tailwatch replay --render / --send`, as a user runs them (node bin/tailwatch.js over dist/). */
import { createHmac } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeProject } from '../kit/project.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';
import { spawnCli } from '../kit/spawn-cli.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
beforeAll(() => {
  expect(existsSync(path.resolve(import.meta.dirname, '../../dist/cli/main.js')), 'run `npm run build` first').toBe(true);
});
async function receiver(): Promise<Receiver> {
  const rx = await startReceiver();
  cleanups.push(() => rx.close());
  return rx;
}

const EVENTS = [0, 1, 2, 3, 4, 5, 6].map((i) => JSON.stringify({ timestamp: 1767225600000 + i * 1000, logGroup: '/app', logStream: 'a', message: JSON.stringify({ level: 'error', host: i < 3 ? 'h1' : 'h2', msg: '<!channel> boom' }) })).join('\n') + '\n';

function project(rxUrl: string): string {
  return makeProject({
    'tailwatch.yaml': [
      'destinations:',
      '  chat:',
      '    type: slack',
      `    url: ${rxUrl}/services/T0/B0/SLACKSECRET99`,
      '  hook:',
      '    type: webhook',
      `    url: ${rxUrl}/hook`,
      '    headers: { Authorization: "Bearer ${HOOK_TOKEN}" }',
      '    secret: ${HOOK_SECRET}',
      '  gone:',
      '    type: webhook',
      `    url: ${rxUrl}/gone/GONESECRET77`,
      '  am:',
      '    type: alertmanager',
      `    url: ${rxUrl}/am`,
      '  stdout:',
      '    type: console',
      'delivery:',
      '  retry: { initial: 50ms, max: 200ms }',
      '  maxAge: 5s',
      '  timeout: 2s',
      '',
    ].join('\n'),
    'rules/app.yaml': [
      'rules:',
      '  - id: errors-burst',
      '    source: { logGroups: [/app], filterPattern: \'{ $.level = "error" }\' }',
      '    window: { type: threshold, count: 3, within: 1m, groupBy: [$.host] }',
      '    throttle: 0s',
      '    notify: [hook, chat, stdout]',
      '    title: "{{count}} errors on {{group.host}}"',
      '',
    ].join('\n'),
    'events.jsonl': EVENTS,
  });
}
const env = { HOOK_TOKEN: 'tok-HOOKSECRET55', HOOK_SECRET: 'hmac-HMACSECRET33' };
const SECRETS = ['SLACKSECRET99', 'HOOKSECRET55', 'HMACSECRET33', 'GONESECRET77'];

describe('tailwatch notify-test DESTINATION', () => {
  it('sends a sample alert and reports the HTTP outcome (exit 0)', async () => {
    const rx = await receiver();
    const r = await spawnCli(['notify-test', 'hook'], { cwd: project(rx.url), env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hook \(webhook\): delivered \(HTTP 200\) in \d+ ms, delivery id [0-9a-f]{32}\n$/);
    const [req] = rx.requests;
    const alert = JSON.parse(req!.body) as { rule: { id: string }; id: string };
    expect(alert.rule.id).toBe('tailwatch-notify-test');
    expect(req!.headers['x-tailwatch-delivery']).toBe(alert.id);
    expect(req!.headers['x-tailwatch-signature']).toBe('sha256=' + createHmac('sha256', env.HOOK_SECRET).update(req!.body).digest('hex'));
  });

  it('exits 1 on a failed send, with the receiver text and without the URL', async () => {
    const rx = await receiver();
    rx.respond((req) => (req.path.startsWith('/gone') ? { status: 404, body: `no such hook ${req.path}` } : { status: 200 }));
    const r = await spawnCli(['notify-test', 'gone'], { cwd: project(rx.url), env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^gone \(webhook\): failed: HTTP 404: no such hook \[redacted\] \(permanent: the daemon would not retry\)\n$/);
    for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
    const closed = await startReceiver();
    await closed.close();
    const down = await spawnCli(['notify-test', 'chat'], { cwd: project(closed.url), env });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^chat \(slack\): failed: connection error: ECONNREFUSED \(temporary/);
    for (const s of SECRETS) expect(down.stderr).not.toContain(s);
  });

  it('prints the console block for a console destination', async () => {
    const r = await spawnCli(['notify-test', 'stdout'], { cwd: project('http://127.0.0.1:1'), env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[FIRING\] INFO tailwatch test alert for stdout\n/);
  });

  it('exits 2 for an unknown destination or a missing argument', async () => {
    const r = await spawnCli(['notify-test', 'nope'], { cwd: project('http://127.0.0.1:1'), env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tailwatch notify-test: unknown destination "nope" (configured: chat, hook, gone, am, stdout)\n');
    expect((await spawnCli(['notify-test'], { cwd: project('http://127.0.0.1:1'), env })).code).toBe(2);
  });
});

describe('tailwatch replay --render DESTINATION', () => {
  it('prints the exact request body per alert: Slack blocks, webhook payload, Alertmanager list, console text', async () => {
    const dir = project('http://127.0.0.1:1');
    const slack = await spawnCli(['replay', '--input', 'events.jsonl', '--render', 'chat'], { cwd: dir, env });
    expect(slack.code).toBe(0);
    const bodies = slack.stdout.trim().split('\n').map((l) => JSON.parse(l) as { blocks: { type: string; text?: { text: string } }[]; text: string });
    expect(bodies).toHaveLength(2);
    expect(bodies[0]!.blocks[0]!.text!.text).toBe(':large_yellow_circle: WARNING: 3 errors on h1');
    expect(JSON.stringify(bodies)).toContain('&lt;!channel&gt; boom');
    expect(JSON.stringify(bodies)).not.toContain('<!channel>');

    const plain = await spawnCli(['replay', '--input', 'events.jsonl'], { cwd: dir, env });
    const hook = await spawnCli(['replay', '--input', 'events.jsonl', '--render', 'hook'], { cwd: dir, env });
    expect(hook.stdout).toBe(plain.stdout);

    const am = await spawnCli(['replay', '--input', 'events.jsonl', '--render', 'am'], { cwd: dir, env });
    const [first] = JSON.parse(am.stdout.split('\n')[0]!) as { labels: Record<string, string> }[];
    expect(first!.labels).toEqual({ alertname: 'errors-burst', severity: 'warning', host: 'h1' });

    const text = await spawnCli(['replay', '--input', 'events.jsonl', '--render', 'stdout'], { cwd: dir, env });
    expect(text.stdout.split('\n').filter((l) => l.startsWith('[FIRING] '))).toEqual(['[FIRING] WARNING 3 errors on h1', '[FIRING] WARNING 3 errors on h2']);
    for (const s of SECRETS) expect(slack.stdout + hook.stdout + am.stdout).not.toContain(s);

    const unknown = await spawnCli(['replay', '--input', 'events.jsonl', '--render', 'nope'], { cwd: dir, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown destination "nope"/);
  });
});

describe('tailwatch replay --send', () => {
  it('delivers every alert to its destinations with the retry policy, no daemon, and prints the alerts', async () => {
    const rx = await receiver();
    rx.script({ status: 503, body: 'busy' });
    const r = await spawnCli(['replay', '--input', 'events.jsonl', '--send'], { cwd: project(rx.url), env });
    expect(r.code).toBe(0);
    const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(alerts).toHaveLength(2);
    // 2 alerts × (hook + chat), one 503 retried
    expect(rx.requests).toHaveLength(5);
    const hookIds = rx.requests.filter((q) => q.path === '/hook').map((q) => q.headers['x-tailwatch-delivery']);
    expect(new Set(hookIds)).toEqual(new Set(alerts.map((a) => a.id)));
    expect(rx.requests.filter((q) => q.path.startsWith('/services/'))).toHaveLength(2);
    // the console destination writes to stderr, so stdout stays JSON lines
    expect(r.stderr).toContain('[FIRING] WARNING 3 errors on h1');
    expect(r.stderr).toMatch(/sent: 6 of 6 deliveries\n$/);
  });

  it('exits 1 when a delivery fails permanently', async () => {
    const rx = await receiver();
    rx.respond((req) => (req.path === '/hook' ? { status: 400, body: 'bad payload' } : { status: 200 }));
    const r = await spawnCli(['replay', '--input', 'events.jsonl', '--send'], { cwd: project(rx.url), env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HTTP 400: bad payload');
    expect(r.stderr).toMatch(/sent: 4 of 6 deliveries, 2 given up\n$/);
    for (const s of SECRETS) expect(r.stderr).not.toContain(s);
  });
});
