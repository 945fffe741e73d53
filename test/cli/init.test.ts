/** `tailwatch init`: a project that validates and whose rule tests pass, for every destination type. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('tailwatch init', () => {
  it.each(['console', 'slack', 'webhook', 'alertmanager'])('writes a config, a rule of each window type with tests, and a unit; --destination %s validates and tests green', async (destination) => {
    const cwd = makeProject({});
    const r = await runCli(['init', 'proj', '--destination', destination, '--log-group', '/team/api#1', '--region', 'eu-central-1'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote proj/tailwatch.yaml\n');
    expect(r.stdout).toContain('  cd proj\n');
    const dir = path.join(cwd, 'proj');
    const v = await runCli(['validate'], { cwd: dir });
    expect(v.stdout).toBe('');
    expect(v.stderr).toBe('ok: 4 rule(s) in 4 file(s)\n');
    const t = await runCli(['test'], { cwd: dir });
    expect(t.stdout).toMatch(/^5 passed, 0 failed$/m);
    expect(t.code).toBe(0);
    // one rule of each window type, watching the log group given
    const windows = ['fatal', 'errors', 'heartbeat', 'spike'].map((f) => {
      const rule = (YAML.parse(readFileSync(path.join(dir, `rules/${f}.yaml`), 'utf8')) as { rules: { window?: { type: string }; source: { logGroups: string[] } }[] }).rules[0]!;
      expect(rule.source.logGroups).toEqual(['/team/api#1']);
      return rule.window?.type ?? 'none';
    });
    expect(windows).toEqual(['none', 'threshold', 'absence', 'spike']);
    const config = YAML.parse(readFileSync(path.join(dir, 'tailwatch.yaml'), 'utf8')) as { aws: { region: string }; defaults: { notify: string[] }; destinations: Record<string, { type: string }> };
    expect(config.aws.region).toBe('${AWS_REGION:-eu-central-1}');
    expect(config.destinations[config.defaults.notify[0]!]!.type).toBe(destination);
  });

  it('points the unit at the config, otherwise the deploy unit as it is', async () => {
    const cwd = makeProject({});
    expect((await runCli(['init', '--endpoint', 'http://127.0.0.1:4566'], { cwd })).code).toBe(0);
    const unit = readFileSync(path.join(cwd, 'tailwatch.service'), 'utf8');
    const deploy = readFileSync(path.join(root, 'deploy/systemd/tailwatch.service'), 'utf8');
    expect(unit).toContain(`Environment=TAILWATCH_CONFIG=${path.join(cwd, 'tailwatch.yaml')}\n`);
    const body = (s: string) => s.slice(s.indexOf('[Unit]')).replace(/^Environment=TAILWATCH_CONFIG=.*$/m, '');
    expect(body(unit)).toBe(body(deploy));
    expect(readFileSync(path.join(cwd, 'tailwatch.yaml'), 'utf8')).toContain('endpoint: "http://127.0.0.1:4566"');
  });

  it('never overwrites without --force (exit 2, naming the files), and --url becomes the variable’s default', async () => {
    const cwd = makeProject({ 'tailwatch.yaml': 'log: { level: debug }\n' });
    const refused = await runCli(['init'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('tailwatch init: . already has tailwatch.yaml (--force overwrites)\n');
    expect(readFileSync(path.join(cwd, 'tailwatch.yaml'), 'utf8')).toBe('log: { level: debug }\n');
    const forced = await runCli(['init', '--force', '--destination', 'webhook', '--url', 'http://127.0.0.1:8080/alerts'], { cwd });
    expect(forced.code).toBe(0);
    expect(readFileSync(path.join(cwd, 'tailwatch.yaml'), 'utf8')).toContain('url: ${ALERT_WEBHOOK_URL:-http://127.0.0.1:8080/alerts}');
    // and the rules it wrote are the user's from now on: a second init refuses them too
    writeFileSync(path.join(cwd, 'rules/errors.yaml'), '# mine\n');
    expect((await runCli(['init'], { cwd })).stderr).toContain('rules/errors.yaml');
  });

  it('exits 2 on a bad region, log group, destination or URL', async () => {
    const cwd = makeProject({});
    for (const args of [['--region', 'europe'], ['--log-group', 'has space'], ['--destination', 'email'], ['--destination', 'slack', '--url', 'hooks.slack.com'], ['--url', 'http://x'], ['--endpoint', 'localhost:4566']]) {
      const r = await runCli(['init', ...args], { cwd });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^tailwatch init: /);
    }
  });
});
