/**
 * deploy/ha/: the Alertmanager config passes `amtool check-config`, the peer's systemd unit passes
 * `systemd-analyze verify`, and the replica config validates (its rules path pointed at a
 * project folder; `tailwatch plan` with ha.replicas: test/cli/plan-replicas.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertmanagerBinary } from '../kit/alertmanager.js';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';
import { hasTool } from '../kit/tools.js';

const dir = path.resolve(import.meta.dirname, '../../deploy/ha');
const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');

describe('deploy/ha', () => {
  it.skipIf(!hasTool('amtool', 'apt-get install prometheus-alertmanager (amtool comes with it)'))('alertmanager.yml passes amtool check-config', () => {
    const out = execFileSync('amtool', ['check-config', path.join(dir, 'alertmanager.yml')], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  // verify checks that ExecStart's binary exists: the Debian path the unit names.
  it.skipIf(!hasTool('systemd-analyze', 'apt-get install systemd') || alertmanagerBinary() !== '/usr/bin/prometheus-alertmanager')('alertmanager.service passes systemd-analyze verify and clusters with the other peer', () => {
    const unit = read('alertmanager.service');
    for (const flag of ['--cluster.listen-address=${SELF}:9094', '--cluster.peer=${PEER}', '--storage.path=/var/lib/tailwatch-alertmanager']) expect(unit).toContain(flag);
    execFileSync('systemd-analyze', ['verify', path.join(dir, 'alertmanager.service')], { stdio: 'pipe' });
  });

  it('tailwatch.yaml validates and says two replicas', async () => {
    const config = read('tailwatch.yaml').replace('paths: [/etc/tailwatch/rules]', 'paths: [rules]');
    const project = makeProject({ 'tailwatch.yaml': config, 'rules/r.yaml': 'rules:\n  - id: errors\n    source: { logGroups: [/app/api], filterPattern: ERROR }\n    window: { type: threshold, count: 1, within: 1m }\n' }, 'tw-ha-deploy-');
    const env = { HEARTBEAT_URL: 'https://hc-ping.com/example' };
    const v = await runCli(['validate', '-c', 'tailwatch.yaml'], { cwd: project, env });
    expect(v.stdout).toBe('');
    expect(v.code, v.stderr).toBe(0);
    expect(config).toMatch(/\nha:\n {2}replicas: 2\n/);
  });
});
