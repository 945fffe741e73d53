// Start-up of `tailwatch grep`: wall time of whole runs on a 2-line input
// from stdin, RUNS runs each, the median (and the fastest), without
// NODE_EXTRA_CA_CERTS (see filter-grep.mjs). The rows: Node itself; a plain
// `grep PATTERN` (the bundled fast path, bin/tailwatch.js → grep-main.ts);
// `--jsonl`; and the same grep sent through commander by a `--config`, which
// grep ignores: what every grep would cost if commander parsed them all.
// Runs are interleaved (run i of every row, then run i + 1), so that a
// machine's load changing over time falls on every row alike. `--bin` (may be
// repeated) compares trees: a column each.
// Usage: npm run build && node bench/grep-startup.mjs [--runs N] [--bin PATH]…
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 0) || 20;
const bins = args.flatMap((a, i) => (a === '--bin' ? [path.resolve(args[i + 1])] : []));
if (bins.length === 0) bins.push(path.join(repo, 'bin/tailwatch.js'));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-startup-'));
const input = path.join(dir, 'small.log');
writeFileSync(input, '{"level":"ERROR","status":503,"message":"ERROR boom"}\n{"level":"INFO","status":200}\n');
const rec = path.join(dir, 'small.jsonl');
writeFileSync(rec, '{"timestamp":1,"message":"ERROR boom"}\n{"timestamp":2,"message":"ok"}\n');

function once(argv, stdin) {
  const fd = openSync(stdin, 'r');
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { stdio: [fd, 'ignore', 'inherit'], env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  closeSync(fd);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return ms;
}

const ROWS = [
  ['`node -e 0`', () => ['-e', '0'], input],
  ['`tailwatch grep ERROR`', (bin) => [bin, 'grep', 'ERROR'], input],
  ["`tailwatch grep '{ $.status >= 500 }'`", (bin) => [bin, 'grep', '{ $.status >= 500 }'], input],
  ['`tailwatch grep --jsonl ERROR`', (bin) => [bin, 'grep', '--jsonl', 'ERROR'], rec],
  ['`tailwatch grep --config x ERROR` (through commander)', (bin) => [bin, 'grep', '--config', 'x', 'ERROR'], input],
];
const cells = ROWS.map((row) => bins.map(() => []));
for (let i = 0; i < RUNS; i++) {
  ROWS.forEach(([, argv, stdin], r) => bins.forEach((bin, b) => cells[r][b].push(once(argv(bin), stdin))));
}
const show = (ms) => {
  const sorted = [...ms].sort((x, y) => x - y);
  return `${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms (${sorted[0].toFixed(0)})`;
};
console.log(`Node ${process.version}, ${RUNS} runs each, interleaved, stdin a 2-line file; median (fastest); ${new Date().toISOString().slice(0, 10)}\n`);
console.log(`| command | ${bins.map((b) => path.relative(process.cwd(), b) || b).join(' | ')} |\n|---|${bins.map(() => '---:').join('|')}|`);
ROWS.forEach(([name], r) => console.log(`| ${name} | ${cells[r].map(show).join(' | ')} |`));
rmSync(dir, { recursive: true, force: true });
