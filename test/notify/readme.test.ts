/** The README's webhook body examples are the ones tested, and a config holding them validates. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { readConfig } from '../../src/config/config.js';
import { EXAMPLE_BODIES } from '../../src/notify/webhook/examples.js';
import { makeProject } from '../kit/project.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../src/notify/README.md'), 'utf8');
const blocks = [...readme.matchAll(/```yaml\n# example: (\w+)\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, yaml: m[2]! }));

describe('src/notify/README.md webhook examples', () => {
  it('shows exactly the tested template trees (Teams, Discord, PagerDuty)', () => {
    expect(blocks.map((b) => b.name)).toEqual(Object.keys(EXAMPLE_BODIES));
    for (const b of blocks) {
      const doc = YAML.parse(b.yaml) as { destinations: Record<string, { body: unknown }> };
      expect(doc.destinations[b.name]!.body).toEqual(EXAMPLE_BODIES[b.name]);
    }
  });

  it('validate as a config', async () => {
    const text = 'destinations:\n' + blocks.map((b) => b.yaml.split('\n').slice(1).join('\n')).join('');
    const dir = makeProject({ 'tailwatch.yaml': text });
    const env = { TEAMS_WORKFLOW_URL: 'https://example.webhook.office.com/x', DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/x', PAGERDUTY_ROUTING_KEY: 'R0UTING' };
    const r = await readConfig({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env, cwd: dir, now: Date.now() });
    expect(r.problems).toEqual([]);
    expect(Object.keys(r.config.destinations)).toEqual(['teams', 'discord', 'pagerduty']);
    expect((r.config.destinations['pagerduty'] as { body: { routing_key: string } }).body.routing_key).toBe('R0UTING');
  });
});
