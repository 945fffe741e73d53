// `tailwatch plan` with several sources: sessions grouped by source, each with its own quota and
// cost; `--shard` (or the config's shard:) shows one shard's part; replicas multiply the total.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';

const project = (extra = '') =>
  makeProject({
    'tailwatch.yaml': `aws: { region: eu-west-1, accountId: "111111111111" }
sources:
  us: { region: us-east-1, accountId: "222222222222" }
  ap: { region: ap-south-1, accountId: "333333333333" }
destinations: { stdout: { type: console } }
defaults: { notify: [stdout] }
sessions: { strategy: precise }
${extra}`,
    'rules/r.yaml': `rules:
  - id: eu-errors
    source: { logGroups: [/app], filterPattern: ERROR }
  - id: us-errors
    source: { from: us, logGroups: [/app], filterPattern: ERROR }
  - id: us-fatal
    source: { from: us, logGroups: [/web], filterPattern: FATAL }
  - id: ap-errors
    source: { from: ap, logGroups: [/app], filterPattern: ERROR }
`,
  });

describe('tailwatch plan with sources', () => {
  it('groups sessions by source, in each source’s account and region, and totals the cost', async () => {
    const dir = project('ha: { replicas: 2 }');
    const text = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    const heads = text.stdout.split('\n').filter((l) => l.startsWith('=== Source'));
    expect(heads).toEqual([
      '=== Source default (eu-west-1, account 111111111111, default credentials) ===',
      '=== Source ap (ap-south-1, account 333333333333, default credentials) ===',
      '=== Source us (us-east-1, account 222222222222, default credentials) ===',
    ]);
    expect(text.stdout).toContain('arn:aws:logs:us-east-1:222222222222:log-group:/web');
    expect(text.stdout).toContain('All sources: 4 sessions, $1728.00/month');
    expect(text.stdout).toContain('With ha.replicas 2 (each replica runs every session): 8 sessions, $3456.00/month');
    const json = JSON.parse((await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir })).stdout) as { sources: Record<string, { sessions: unknown[]; accountId: string }>; monthlyCost: number };
    expect(Object.keys(json.sources)).toEqual(['default', 'ap', 'us']);
    expect(json.sources['us']!.sessions).toHaveLength(2);
    expect(json.sources['us']!.accountId).toBe('222222222222');
    expect(json.monthlyCost).toBe(1728);
  });

  it('--shard shows one shard’s sources; the shards together hold every source once', async () => {
    const dir = project();
    const names: string[] = [];
    for (const shard of ['0/2', '1/2']) {
      const r = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml'), '--shard', shard, '--format', 'json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { sources: Record<string, unknown>; shard: { index: number; count: number }; otherShards: Record<string, number> };
      expect(out.shard).toEqual({ index: Number(shard[0]), count: 2 });
      for (const n of Object.keys(out.otherShards)) expect(out.otherShards[n]).not.toBe(Number(shard[0]));
      names.push(...Object.keys(out.sources));
    }
    expect(names.sort()).toEqual(['ap', 'default', 'us']);
    // The config's shard: is what plan shows without the option.
    const configured = project('shard: { index: 1, count: 2 }');
    const viaConfig = JSON.parse((await runCli(['plan', '-c', path.join(configured, 'tailwatch.yaml'), '--format', 'json'], { cwd: configured })).stdout) as { shard: unknown };
    expect(viaConfig.shard).toEqual({ index: 1, count: 2 });
    const bad = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml'), '--shard', '2/2'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--shard 2/2: the index must be below the count (shards 0..1)');
  });
});
