// A source with roleArn, through the real SDK's fromTemporaryCredentials against the emulator's
// STS: the role is assumed with the configured parameters, sessions are signed with the
// temporary credentials it issues, and a refused AssumeRole makes the rules unhealthy with a
// log line naming the role (and no secret).
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, RuleSet } from '../../src/model/config.js';
import { createLiveTailSource } from '../../src/livetail/index.js';
import { PLACEHOLDER_CREDENTIALS } from '../../src/livetail/client.js';
import type { EventSource } from '../../src/model/ports.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { capturingLogger, Collector, emulatorConfig, recordingMetrics } from '../kit/livetail.js';
import { until } from '../kit/until.js';
import { rule } from '../kit/rules.js';

const ROLE = 'arn:aws:iam::123456789012:role/tailwatch-reader';
const EXTERNAL_ID = 'ext-7f3a91';

let emu: StartedEmulator | undefined;
let source: EventSource | undefined;
afterEach(async () => {
  await source?.stop();
  source = undefined;
  await emu?.close();
  emu = undefined;
});

const ruleSet: RuleSet = { rules: [rule({ id: 'pay', logGroups: ['/ecs/payments'] }), rule({ id: 'orders', logGroups: ['/ecs/orders'] })], files: [] };

async function start(aws: Partial<Config['aws']>): Promise<{ e: StartedEmulator; got: Collector; lines: Record<string, unknown>[] }> {
  // Signatures are checked: only the base (placeholder) credentials and what STS issues are accepted.
  emu = await startEmulator({ updateIntervalMs: 50, credentials: [PLACEHOLDER_CREDENTIALS], roles: { [ROLE]: { externalId: EXTERNAL_ID } } });
  const e = emu;
  e.emulator.ingest([
    { logGroup: '/ecs/payments', logStream: 'api-1', timestamp: Date.now() - 60_000, message: 'seed' },
    { logGroup: '/ecs/orders', logStream: 'api-1', timestamp: Date.now() - 60_000, message: 'seed' },
  ]);
  const config = emulatorConfig(e.endpoint, {}, aws);
  const got = new Collector();
  const { logger, lines } = capturingLogger();
  source = createLiveTailSource({ onEvents: got.handler, config, logger, metrics: recordingMetrics(), env: {} });
  await source.apply(ruleSet, config);
  return { e, got, lines };
}

describe('sources with roleArn', () => {
  it('assumes the role with its external id, session name and duration, and streams with the temporary credentials', async () => {
    const { e, got } = await start({ roleArn: ROLE, externalId: EXTERNAL_ID, roleSessionName: 'tailwatch-prod', roleDurationMs: 3_600_000 });
    await until(() => source!.health().ready, 5_000, 'every session started');
    e.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: Date.now(), message: 'through the role' }]);
    await until(() => got.messages().includes('through the role'), 5_000, 'event through the assumed role');
    const calls = e.emulator.assumeRoleCalls();
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c).toMatchObject({ roleArn: ROLE, externalId: EXTERNAL_ID, roleSessionName: 'tailwatch-prod', durationSeconds: 3600, signedBy: PLACEHOLDER_CREDENTIALS.accessKeyId });
      expect(c.issued).toMatch(/^ASIA/);
    }
    const issued = new Set(calls.map((c) => c.issued));
    const signers = e.emulator.signersOf('StartLiveTail');
    expect(signers.length).toBeGreaterThan(0);
    for (const k of signers) expect(issued.has(k)).toBe(true);
  });

  it('a refused AssumeRole (wrong external id): the rules unhealthy, a log line naming the role and no log group, no external id in logs', async () => {
    const { e, lines } = await start({ roleArn: ROLE, externalId: 'wrong-external-id', roleSessionName: 'tailwatch-prod' });
    await until(() => ['orders', 'pay'].every((r) => source!.health().unhealthyRules.includes(r)), 8_000, 'rules orders and pay unhealthy');
    expect(e.emulator.signersOf('StartLiveTail')).toEqual([]);
    expect(e.emulator.assumeRoleCalls()[0]).toMatchObject({ roleArn: ROLE, externalId: 'wrong-external-id', issued: undefined });
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(text).toContain(ROLE);
    expect(text).toContain('AccessDenied (HTTP 403) assuming role ' + ROLE);
    expect(lines.some((l) => l['msg'] === `role ${ROLE} could not be assumed in us-east-1: its rules wait, retried every 300 s and at SIGHUP`)).toBe(true);
    // The role was refused, not the log groups: no group is blamed (or left out after a probe).
    expect(text).not.toContain('access denied to log group');
    expect(text).not.toContain('wrong-external-id');
    expect(text).not.toContain(PLACEHOLDER_CREDENTIALS.secretAccessKey);
  });
});
