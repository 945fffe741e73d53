// The grep bench's input, shared by bench/filter-grep.mjs and bench/regex.mjs: JSON log lines of a
// payments service, from a fixed seed (the same file every time).
import { createWriteStream } from 'node:fs';

export function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Writes `lines` JSON log lines to `file`. */
export async function generate(file, lines) {
  const rand = rng(42);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const paths = ['/v1/charges', '/v1/refunds', '/v1/customers/42', '/v1/orders', '/healthz', '/v2/payments/intents'];
  const messages = ['request completed', 'cache miss', 'upstream call', 'connection reset by peer', 'retrying', 'request completed'];
  const out = createWriteStream(file);
  let t = Date.parse('2026-11-28T00:00:00Z');
  let batch = '';
  for (let i = 0; i < lines; i++) {
    t += Math.floor(rand() * 20);
    const r = rand();
    const level = r < 0.02 ? 'ERROR' : r < 0.07 ? 'WARN' : r < 0.2 ? 'DEBUG' : 'INFO';
    const status = level === 'ERROR' ? pick([500, 502, 503, 504]) : rand() < 0.1 ? pick([400, 401, 404, 429]) : pick([200, 200, 201, 204]);
    const latency = Math.floor(rand() ** 3 * 3000);
    const msg = level === 'ERROR' ? pick(['timeout calling ledger', 'connection reset by peer', 'database unavailable']) : pick(messages);
    batch += `{"time":"${new Date(t).toISOString()}","level":"${level}","service":"payments","requestId":"req-${(i * 7919).toString(36)}","method":"${pick(['GET', 'POST'])}","path":"${pick(paths)}","status":${status},"latency_ms":${latency},"user":{"id":"u-${Math.floor(rand() * 5000)}"},"msg":"${msg}"}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await new Promise((r) => out.once('drain', r));
      batch = '';
    }
  }
  out.write(batch);
  await new Promise((r) => out.end(r));
}
