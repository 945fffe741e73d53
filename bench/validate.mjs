// Validating 1,000 rules (10 files × 100) through the CLI, as CI would run it.
// Goal: under 1 s. Usage: npm run build && node bench/validate.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-validate-'));
mkdirSync(path.join(dir, 'rules'));
writeFileSync(path.join(dir, 'tailwatch.yaml'), 'destinations: { out: { type: console }, hook: { type: webhook, url: "https://example.com/h" } }\ndefaults: { notify: [out] }\n');
for (let f = 0; f < 10; f++) {
  const rules = [];
  for (let i = 0; i < 100; i++) {
    const id = `svc-${f}-rule-${i}`;
    rules.push(`  - id: ${id}
    description: Rule ${i} of file ${f}
    severity: ${['info', 'warning', 'error', 'critical'][i % 4]}
    labels: { team: team-${f}, tier: "${i % 3}" }
    source:
      logGroups: [/ecs/svc-${f}, /ecs/svc-${f}-worker]
      filterPattern: '{ $.status >= 500 && $.path = "/v1/*" }'
    match:
      all:
        - { field: $.latencyMs, gt: ${i * 10} }
        - not: { field: $.userAgent, contains: healthcheck }
        - any:
            - { field: $.region, in: [eu-west-1, us-east-1] }
            - { field: $.path, regex: '^/v1/(charges|refunds)/[0-9]+' }
    window: { type: threshold, count: ${5 + i}, within: 5m, groupBy: [$.merchantId] }
    throttle: 10m
    resolve: true
    notify: [out, hook]
    title: "{{count}} errors on {{group.merchantId}} ({{rule.id}})"
    message: "Last: {{event.message}} in {{window}}"`);
  }
  writeFileSync(path.join(dir, 'rules', `file-${f}.yaml`), `rules:\n${rules.join('\n')}\n`);
}

const runs = [];
for (let i = 0; i < 5; i++) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [path.join(repo, 'bin/tailwatch.js'), 'validate'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
runs.sort((a, b) => a - b);
const median = runs[Math.floor(runs.length / 2)];
console.log(JSON.stringify({ bench: 'validate', rules: 1000, files: 10, medianMs: Math.round(median), minMs: Math.round(runs[0]), goalMs: 1000 }));
