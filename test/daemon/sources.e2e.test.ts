/**
 * Several accounts and regions in one daemon: two emulators stand for two accounts in two
 * regions (each a source with its own endpoint). Rules on both alert; one region's outage
 * (its emulator stopped) leaves the other's alerts flowing, and /readyz names the source.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shardKey, shardOf } from '../../src/config/sources.js';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';

let eu: StartedEmulator;
let us: StartedEmulator;
let hook: Receiver;
let dir: string;
let daemon: DaemonProcess | undefined;

beforeEach(async () => {
  eu = await startEmulator({ updateIntervalMs: 100, region: 'eu-west-1', accountId: '111111111111' });
  us = await startEmulator({ updateIntervalMs: 100, region: 'us-east-1', accountId: '222222222222' });
  for (const e of [eu, us]) e.emulator.ingest([{ logGroup: '/app', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  hook = await startReceiver();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-sources-'));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(
    path.join(dir, 'tailwatch.yaml'),
    `aws: { region: eu-west-1, accountId: "111111111111", endpoint: "${eu.endpoint}" }
sources:
  us: { region: us-east-1, accountId: "222222222222", endpoint: "${us.endpoint}" }
rules: { paths: [rules] }
destinations: { hook: { type: webhook, url: "${hook.url}" } }
defaults: { notify: [hook], throttle: 0s }
sessions: { strategy: precise, stallAfter: 3s, grace: 1s, backoff: { initial: 100ms, max: 1s } }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
`,
  );
  writeFileSync(
    path.join(dir, 'rules/app.yaml'),
    `rules:
  - id: eu-errors
    source: { logGroups: [/app], filterPattern: ERROR }
  - id: us-errors
    source: { from: us, logGroups: [/app], filterPattern: ERROR }
`,
  );
});

afterEach(async () => {
  await daemon?.stop();
  await eu.close();
  await us.close();
  await hook.close();
});

function put(e: StartedEmulator, message: string): void {
  e.emulator.ingest([{ logGroup: '/app', logStream: 's1', timestamp: Date.now(), message }]);
}

function alertsOf(rule: string): number {
  return hook.requests.filter((r) => (JSON.parse(r.body) as { rule: { id: string } }).rule.id === rule).length;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('one daemon, two accounts in two regions', () => {
  it('alerts from both; with one region down the other keeps alerting and /readyz names the failing source', async () => {
    daemon = startDaemon({ cwd: dir, args: ['--log-level', 'debug'] });
    await daemon.waitForMsg('ready');
    const address = String((await daemon.waitForMsg('status server listening'))['address']);
    // Each source planned its own session, in its own account and region, and its logs say which source.
    const plans = daemon.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Live Tail plan:'));
    expect(plans.map((l) => l['source']).sort()).toEqual(['default', 'us']);

    put(eu, 'ERROR in Dublin');
    put(us, 'ERROR in Virginia');
    await until(() => alertsOf('eu-errors') === 1 && alertsOf('us-errors') === 1, 'one alert from each source');

    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    expect(metrics).toMatch(/tailwatch_session_starts_total\{session="lt-[0-9a-f]{8}",source="default"\} 1/);
    expect(metrics).toMatch(/tailwatch_session_starts_total\{session="lt-[0-9a-f]{8}",source="us"\} 1/);
    expect(metrics).toMatch(/tailwatch_source_watermark_lag_seconds\{session="lt-[0-9a-f]{8}",source="us"\} /);

    // us-east-1 goes away.
    await us.close();
    await until(async () => (await fetch(`http://${address}/readyz`)).status === 503, '/readyz 503');
    const body = await (await fetch(`http://${address}/readyz`)).text();
    expect(body).toContain('source us (us-east-1): not ready');
    expect(body).not.toContain('source default (eu-west-1): not ready');

    put(eu, 'ERROR in Dublin again');
    await until(() => alertsOf('eu-errors') === 2, 'the second eu alert while us-east-1 is down');
    expect(alertsOf('us-errors')).toBe(1);
  });
});

describe('tailwatch_rules_unhealthy', () => {
  it('is one series per source: a rule on a missing log group counts in its own source, the healthy source reads 0', async () => {
    writeFileSync(path.join(dir, 'rules/missing.yaml'), 'rules:\n  - id: us-missing\n    source: { from: us, logGroups: [/missing] }\n');
    daemon = startDaemon({ cwd: dir });
    const address = String((await daemon.waitForMsg('status server listening'))['address']);
    const scrape = async () => (await fetch(`http://${address}/metrics`)).text();
    await until(async () => /^tailwatch_rules_unhealthy\{source="us"\} 1$/m.test(await scrape()), 'us-missing counted unhealthy in source us');
    const metrics = await scrape();
    expect(metrics).toMatch(/^tailwatch_rules_unhealthy\{source="default"\} 0$/m);
    expect(metrics).not.toMatch(/^tailwatch_rules_unhealthy \d/m);
  });
});

describe('shards', () => {
  it("a daemon runs only its shard's sources and their rules; the other shard runs the rest", async () => {
    // Which shard of two each source falls on (a stable hash of account and region).
    const euShard = shardOf(shardKey('default', { accountId: '111111111111', region: 'eu-west-1' }), 2);
    const usShard = shardOf(shardKey('us', { accountId: '222222222222', region: 'us-east-1' }), 2);
    const config = readFileSync(path.join(dir, 'tailwatch.yaml'), 'utf8');
    const seen = new Map<string, number>();
    for (const index of [0, 1]) {
      // A shard may hold no source (two sources, two shards): nothing to run is fine there.
      writeFileSync(path.join(dir, 'tailwatch.yaml'), `${config.replace('rules: { paths: [rules] }', 'rules: { paths: [rules], allowEmpty: true }')}shard: { index: ${index}, count: 2 }\n`);
      daemon = startDaemon({ cwd: dir, args: ['--log-level', 'debug'] });
      await daemon.waitForMsg('ready');
      const planned = daemon.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Live Tail plan:')).map((l) => String(l['source']));
      const expected = [euShard === index ? 'default' : undefined, usShard === index ? 'us' : undefined].filter((x): x is string => x !== undefined);
      expect(planned.sort()).toEqual(expected);
      const loaded = await daemon.waitForMsg('rules loaded');
      expect(loaded['rules']).toBe(expected.length);
      for (const p of planned) seen.set(p, (seen.get(p) ?? 0) + 1);
      await daemon.stop();
      daemon = undefined;
    }
    // Together the two shards run every source once.
    expect([...seen.entries()].sort()).toEqual([['default', 1], ['us', 1]]);
  });
});
