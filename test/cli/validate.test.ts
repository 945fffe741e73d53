import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../kit/project.js';
import { runCli } from '../kit/cli.js';

const root = path.resolve(import.meta.dirname, '../..');
const exampleEnv = { SLACK_ONCALL_WEBHOOK: 'https://hooks.slack.com/services/T0/B0/SECRETSLACK', OPS_TOKEN: 'tok', OPS_HMAC_SECRET: 'hmac' };

const project = (files: Record<string, string>): string => makeProject(files);

const broken = {
  'tailwatch.yaml': 'destinations: { out: { type: console } }\ndefaults: { notify: [out] }\n',
  'rules/ok.yaml': 'rules:\n  - id: fine\n    source: { logGroups: [/g] }\n',
  'rules/nested/broken.yml': 'rules:\n  - id: broken\n    source: { logGroups: [/g] }\n    notify: [nowhere]\n',
};

describe('tailwatch validate', () => {
  it('exits 0 on the example config with its variables set, printing nothing on stdout', async () => {
    const r = await runCli(['validate', '-c', 'config.example.yaml'], { cwd: root, env: exampleEnv });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ok: 6 rule(s) in 2 file(s)\n');
    expect(r.code).toBe(0);
  });

  it('exits 1 with file:line:col lines relative to the current folder, found recursively', async () => {
    const dir = project(broken);
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.stdout).toBe('rules/nested/broken.yml:4:14: rules[0].notify[0]: no destination named "nowhere" in the config (defined: out)\n');
    expect(r.code).toBe(1);
  });

  it('prints a JSON array for CI annotations with --format json', async () => {
    const dir = project(broken);
    const r = await runCli(['validate', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      { file: 'rules/nested/broken.yml', line: 4, col: 14, message: 'rules[0].notify[0]: no destination named "nowhere" in the config (defined: out)', ruleId: 'broken', severity: 'error' },
    ]);
  });

  it('validates only the given paths, and takes the config from $TAILWATCH_CONFIG', async () => {
    const dir = project({ ...broken, 'conf/tw.yaml': broken['tailwatch.yaml'] });
    const ok = await runCli(['validate', 'rules/ok.yaml'], { cwd: dir, env: { TAILWATCH_CONFIG: 'conf/tw.yaml' } });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('ok: 1 rule(s) in 1 file(s)\n');
  });

  it('exits 2 when the named config or a given path does not exist, or the format is unknown', async () => {
    const dir = project(broken);
    const missingConfig = await runCli(['validate', '-c', 'nope.yaml'], { cwd: dir });
    expect(missingConfig.code).toBe(2);
    expect(missingConfig.stderr).toMatch(/nope\.yaml/);
    expect((await runCli(['validate', 'rules/missing.yaml'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['validate', '--format', 'xml'], { cwd: dir })).code).toBe(2);
  });

  it('says in one line that a folder has neither config nor rules/, and names a missing path (exit 2)', async () => {
    const empty = project({});
    const r = await runCli(['validate'], { cwd: empty });
    expect(r.stderr).toBe('tailwatch validate: no rules to read: tailwatch.yaml does not exist and neither does rules/ (run `tailwatch init` to start a project, or give -c CONFIG or rule files and folders)\n');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    const missing = await runCli(['validate', 'rules/missing.yaml'], { cwd: empty });
    expect(missing.stderr).toBe('tailwatch validate: rules/missing.yaml: no such file or folder\n');
    expect(missing.code).toBe(2);
  });

  it('exits 0 on the example config on a fresh checkout, with no variable set', async () => {
    const r = await runCli(['validate', '-c', 'config.example.yaml'], { cwd: root, env: {} });
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('names an unset variable but never prints the values of the others', async () => {
    const dir = project({
      'tailwatch.yaml': [
        'destinations:',
        '  chat: { type: slack, url: "${SLACK_URL}" }',
        '  hook: { type: webhook, url: "https://example.com/h", headers: { Authorization: "Bearer ${TOKEN}" }, secret: "${HMAC}" }',
        'defaults: { notify: [chat, hook] }',
        '',
      ].join('\n'),
      'rules/ok.yaml': 'rules:\n  - id: fine\n    source: { logGroups: [/g] }\n',
    });
    const r = await runCli(['validate'], { cwd: dir, env: { SLACK_URL: 'https://hooks.slack.com/services/T0/B0/SECRETSLACK', TOKEN: 'tok-SECRETTOKEN' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('tailwatch.yaml:3:112: environment variable HMAC is not set (and has no ${HMAC:-default})\n');
    expect(r.stdout + r.stderr).not.toMatch(/SECRET(SLACK|TOKEN)/);
  });

  it('refuses a header value with a line break and a heartbeat URL with credentials, printing neither', async () => {
    const dir = project({
      'tailwatch.yaml': [
        'destinations:',
        '  hook: { type: webhook, url: "https://example.com/h", headers: { Authorization: "Bearer ${TOKEN}" } }',
        'defaults: { notify: [hook] }',
        'heartbeat: { cron: "*/5 * * * *", url: "https://hb:${HB_PASS}@hc.example.com/ping" }',
        '',
      ].join('\n'),
      'rules/ok.yaml': 'rules:\n  - id: fine\n    source: { logGroups: [/g] }\n',
    });
    const r = await runCli(['validate'], { cwd: dir, env: { TOKEN: 'tok-SECRETTOKEN\r\nX-Evil: 1', HB_PASS: 'pw-SECRETPASS' } });
    expect(r.stdout).toBe(
      'tailwatch.yaml:2:82: destinations.hook.headers.Authorization: the value contains a character an HTTP header cannot carry (a line break, another control character, or one beyond U+00FF)\n' +
        'tailwatch.yaml:4:40: heartbeat.url: a user name or password in the URL (user:pass@host) is not supported: the ping cannot send it; put the token in the path or query\n',
    );
    expect(r.stdout + r.stderr).not.toMatch(/SECRET(TOKEN|PASS)/);
    expect(r.code).toBe(1);
  });

  it('warns when the rule set is empty (no rule file, empty files, every rule disabled) unless rules.allowEmpty', async () => {
    const hint = '`tailwatch run` would watch nothing and /readyz would answer 503; set rules: { allowEmpty: true } if an empty rule set is intended';
    const none = project({ 'tailwatch.yaml': broken['tailwatch.yaml'], 'rules/README.md': 'rules go here\n' });
    const r = await runCli(['validate'], { cwd: none });
    expect(r.stdout).toBe(`rules: warning: no rule files (*.yaml, *.yml) found: ${hint}\n`);
    expect(r.stderr).toBe('ok: 0 rule(s) in 0 file(s), 1 warning(s)\n');
    expect(r.code).toBe(0);
    const json = await runCli(['validate', '--format', 'json'], { cwd: none });
    expect(JSON.parse(json.stdout)).toEqual([{ file: 'rules', line: null, col: null, message: `no rule files (*.yaml, *.yml) found: ${hint}`, ruleId: null, severity: 'warning' }]);

    const disabled = project({
      'tailwatch.yaml': broken['tailwatch.yaml'] + 'rules: { paths: [rules] }\n',
      'rules/off.yaml': 'rules:\n  - id: off\n    enabled: false\n    source: { logGroups: [/g] }\n',
      'rules/empty.yaml': 'rules: []\n',
    });
    const d = await runCli(['validate'], { cwd: disabled });
    expect(d.stdout).toBe(`tailwatch.yaml:3:17: warning: rules.paths: all 1 rule(s) are disabled: ${hint}\n`);
    expect(d.code).toBe(0);
    const given = await runCli(['validate', 'rules/empty.yaml'], { cwd: disabled });
    expect(given.stdout).toBe(`rules/empty.yaml: warning: no rules in 1 rule file(s): ${hint}\n`);

    const allowed = project({ 'tailwatch.yaml': broken['tailwatch.yaml'] + 'rules: { allowEmpty: true }\n', 'rules/empty.yaml': 'rules: []\n' });
    const a = await runCli(['validate'], { cwd: allowed });
    expect(a.stdout).toBe('');
    expect(a.stderr).toBe('ok: 0 rule(s) in 1 file(s)\n');
  });
});
