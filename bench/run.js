#!/usr/bin/env node
// `npm run bench`: every benchmark, one after the other (they would only
// measure each other if run together on 2 cores), each rewriting its own
// section of bench/README.md. Builds first so the numbers are for this tree.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benches = [
  ['validate.mjs', ['--write']],
  ['filter-grep.mjs', ['--write']],
  ['replay.mjs', ['--write']],
  ['daemon.mjs', ['--write']],
];

// npm run build, not tsc alone: tailwatch grep runs from the bundle it makes (scripts/bundle-grep.mjs).
const build = spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const [file, args] of benches) {
  const script = path.join(repo, 'bench', file);
  if (!existsSync(script)) continue;
  process.stderr.write(`\n== bench/${file}\n`);
  const r = spawnSync(process.execPath, [script, ...args], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`bench/${file} exited with ${r.status}\n`);
  }
}
process.stderr.write(failed ? `\n${failed} benchmark(s) failed\n` : '\nbench/README.md updated\n');
process.exit(failed ? 1 : 0);
