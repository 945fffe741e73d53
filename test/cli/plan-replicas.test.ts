// `tailwatch plan` with `ha.replicas`: every replica runs every session, so the cost multiplies.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';

const project = (ha: string) =>
  makeProject({
    'tailwatch.yaml': `aws: { region: us-east-1, accountId: "123456789012" }
destinations:
  stdout: { type: console }
defaults: { notify: [stdout] }
sessions: { strategy: precise }
${ha}`,
    'rules/r.yaml': `rules:
  - id: pay-errors
    source: { logGroups: [/ecs/payments], filterPattern: ERROR }
  - id: orders-errors
    source: { logGroups: [/ecs/orders], filterPattern: ERROR }
`,
  });

describe('tailwatch plan with ha.replicas', () => {
  it('states the cost of all replicas (text and json); one replica adds nothing', async () => {
    const dir = project('ha: { replicas: 2 }');
    const text = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Total: 2 sessions, 86400 session-minutes/month, $864.00/month at $0.01 per session-minute\nWith ha.replicas 2 (each replica runs every session): 4 sessions, $1728.00/month\n');
    const json = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ monthlyCost: 864, replicas: 2, replicasMonthlyCost: 1728 });

    const single = project('');
    const plain = await runCli(['plan', '-c', path.join(single, 'tailwatch.yaml')], { cwd: single });
    expect(plain.stdout).not.toContain('ha.replicas');
    expect(JSON.parse((await runCli(['plan', '-c', path.join(single, 'tailwatch.yaml'), '--format', 'json'], { cwd: single })).stdout)).not.toHaveProperty('replicas');
  });
});
