#!/usr/bin/env node
// Entry point. CommonJS (bin/package.json), not ESM like the rest: `tailwatch
// grep …` then loads its one bundled module with require(), and a term
// pattern never starts Node 20's ESM loader, whose first use costs a few ms
// of a start-up that is half of a 200 MB grep (bench/README.md). Every other
// command is ESM, imported below (as are grep's worker threads).
//
// The regexp flag must be set before any RegExp is compiled:
// it makes V8 fall back to its linear-time engine when a pattern starts to
// backtrack, so one hostile log line cannot freeze the daemon.
'use strict';
/** Set when the command has returned its exit code. */
let finished = false;
const v8 = require('node:v8');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
// Memory: the live heap at the source ceiling (15 sessions × 500 events/s, 200 rules) is ~30 MB
// (heap snapshot), but V8 lets the old space grow up to 4× between full collections, and the SDK's
// stream buffers (external memory) are freed only by those. Growing it by 1.2× instead collects a
// little more often (~0.5 % of a core measured) and keeps RSS closer to what is live. No limit: the
// heap still grows as far as the live data needs. This flag works when set at run time; the size
// flags (--max-semi-space-size, --max-old-space-size) only at startup, and a smaller young
// generation (--semi-space-growth-factor=1, which works here) saved ~40 MB more but cost 5–10 % of
// a core in scavenges: each Live Tail update is decoded in one burst bigger than 1 MB.
v8.setFlagsFromString('--heap-growing-percent=20');
// The AWS SDK is pinned in package-lock.json; its notice that *future* releases need Node 22
// would only end up in journald on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `tailwatch grep … | head`: a reader that goes away ends us quietly, like grep.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(finished ? process.exitCode : 0);
  throw err;
});

/**
 * grep's start-up fast path (src/cli/grep-main.ts): the bundle when it is at least as new as every
 * module it was made from (scripts/bundle-grep.mjs lists them), else the same modules unbundled —
 * a tree built by `tsc` alone, or rebuilt by `tsc` after `npm run build`, never runs stale code.
 */
function grepMain() {
  const fs = require('node:fs');
  const path = require('node:path');
  const dir = path.join(__dirname, '../dist/cli');
  try {
    const built = fs.statSync(path.join(dir, 'grep.bundle.cjs')).mtimeMs;
    const { inputs } = JSON.parse(fs.readFileSync(path.join(dir, 'grep.bundle.json'), 'utf8'));
    if (inputs.every((f) => fs.statSync(path.join(dir, f)).mtimeMs <= built)) return require('../dist/cli/grep.bundle.cjs');
  } catch (err) {
    if (err?.code !== 'ENOENT') throw err;
  }
  return import('../dist/cli/grep-main.js');
}

// Like an unsettled top-level await in an ES module: exit 13 if the command never finishes
// (nothing left to wait for), so systemd's Restart=on-failure still restarts it.
process.exitCode = 13;
process.on('exit', (code) => {
  if (!finished && code === 13) process.stderr.write('tailwatch: exited before the command finished (nothing left to wait for)\n');
});
(async () => {
  const argv = process.argv.slice(2);
  let code;
  if (argv[0] === 'grep') code = await (await grepMain()).plainGrep(argv);
  code ??= await (await import('../dist/cli/main.js')).main(argv);
  finished = true;
  process.exitCode = code;
})();
