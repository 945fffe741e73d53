// Bundles grep's start-up fast path (dist/cli/grep-main.js, compiled by tsc)
// and every module of ours it imports into dist/cli/grep.bundle.cjs, which
// bin/tailwatch.js require()s for `tailwatch grep …`: one CommonJS module to
// read and compile instead of ~20 ES modules for Node's ESM loader to
// resolve, read and compile one by one (bench/README.md has the start-up it
// saves). Only our code is bundled: a bare import (a dependency) or anything
// but a builtin would make the bundle a second copy of a package, so it fails
// the build, and leaves no bundle for the bin to run. The bundle sits in
// dist/cli/, a sibling of dist/grep/, so grep's
// `new URL('../grep/worker.js', import.meta.url)` finds the worker from it too.
// Usage: node scripts/bundle-grep.mjs (run by `npm run build` after tsc)
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const input = path.join(repo, 'dist/cli/grep-main.js');
const file = path.join(repo, 'dist/cli/grep.bundle.cjs');
// The modules the bundle was made from, for bin/tailwatch.js to check that none is newer.
const manifest = path.join(repo, 'dist/cli/grep.bundle.json');

// rolldown needs Node ≥ 20.19: on an older Node 20 grep runs unbundled (a few ms slower to start).
let build;
try {
  ({ build } = await import('rolldown'));
} catch (err) {
  rmSync(file, { force: true });
  rmSync(manifest, { force: true });
  console.warn(`bundle-grep: rolldown is not available here (${err.message.split('\n')[0]}); tailwatch grep will run unbundled`);
  process.exit(0);
}

const output = await build({
  input,
  platform: 'node',
  // Anything not relative is left to Node; the check below rejects all but builtins.
  external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
  logLevel: 'warn',
  output: { file, format: 'cjs', codeSplitting: false, comments: { legal: true, jsdoc: false, annotation: false } },
});

// The workers' module (dist/grep/worker.js) is not bundled: it is listed too, as the bundle's main
// thread and the workers must be built from the same source.
const inputs = [...output.output[0].moduleIds.filter((id) => !id.startsWith('\0')), path.join(repo, 'dist/grep/worker.js')];
writeFileSync(manifest, JSON.stringify({ inputs: inputs.map((id) => path.relative(path.dirname(file), id)) }, null, 1) + '\n');

const code = readFileSync(file, 'utf8');
const imports = [...code.matchAll(/\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
const foreign = imports.filter((spec) => !spec.startsWith('node:') && !builtinModules.includes(spec));
if (foreign.length > 0) {
  rmSync(file);
  rmSync(manifest);
  console.error(`bundle-grep: ${path.relative(repo, file)} imports ${foreign.join(', ')}: only Node builtins may stay imports`);
  process.exit(1);
}
