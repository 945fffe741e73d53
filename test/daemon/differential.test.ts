/**
 * live = replay, differentially: for random seeds, the daemon (a child process
 * against the emulator, with kill -9s, reloads, dropped and timed-out streams
 * and session layout changes) must send exactly the alerts `tailwatch replay`
 * prints for the same events. See test/kit/differential.ts.
 *
 *   npx vitest run test/daemon/differential.test.ts              the default seeds
 *   TW_DIFF_SEED=123 npx vitest run test/daemon/differential.test.ts   one seed
 *   TW_DIFF_INGESTION_DELAY=0 …                                   without FilterLogEvents' ingestion delay
 *   npm run soak                                                  TW_DIFF_SEEDS (default 200) seeds from
 *                                                                 TW_DIFF_FIRST (default 1)
 */
import { describe, expect, it } from 'vitest';
import { runDifferential } from '../kit/differential.js';

/**
 * Together: every disturbance (kill -9, SIGHUP, a layout change, broken and timed-out streams),
 * every strategy, forced merging, 3 s emulator session timeouts, several sessions on one log
 * group, every window type, and polled rules (`feed: { poll }`, a third of each seed's rules,
 * chosen by seed and index) beside live ones. A stream breaks as the moment picks: dropped, its
 * next update truncated, with a bad CRC, reset mid-frame, or an error frame instead.
 *     8: precise; three patterns on one group (three sessions); SIGHUP, layout change, timeout
 *    79: adaptive (the default); kill -9
 *   128: precise, maxConcurrent 1, sessions time out every 3 s; truncated frame, kill -9, layout change
 *   136: economical; kill -9, layout change, error frame, SIGHUP
 * Seeds 10 (reset mid-frame), 18 (bad CRC), 9 (drop) cover the other breaks.
 * Every run has FilterLogEvents see events only 2 s after ingestion, as the service does
 * (`TW_DIFF_INGESTION_DELAY=ms`, 0: none): seed 9 (a drop, then a kill -9) loses alerts when a
 * gap's backfill does not wait for it.
 */
const DEFAULT_SEEDS = [8, 79, 128, 136];

function seeds(): number[] {
  const env = process.env;
  if (env['TW_DIFF_SEED']) return [Number(env['TW_DIFF_SEED'])];
  if (env['TW_DIFF_SEEDS']) {
    const first = Number(env['TW_DIFF_FIRST'] ?? 1);
    return Array.from({ length: Number(env['TW_DIFF_SEEDS']) }, (_, i) => first + i);
  }
  return DEFAULT_SEEDS;
}

describe('live = replay (differential)', () => {
  it.each(seeds())('seed %i', { timeout: 90_000 }, async (seed) => {
    const result = await runDifferential(seed);
    if (result.failure !== undefined) expect.fail(result.failure);
    // eslint-disable-next-line no-console
    console.log(`seed ${seed} passed: ${result.comparison.live.length} alerts equal, ${result.live.done.length} disturbance(s)`);
  });

  // Whatever the source layout: /diff/b in a second source (another region of the emulator), its rules `from` it.
  it.each(process.env['TW_DIFF_SEED'] || process.env['TW_DIFF_SEEDS'] ? [] : [136])('seed %i with two sources', { timeout: 90_000 }, async (seed) => {
    const result = await runDifferential(seed, { twoSources: true });
    if (result.failure !== undefined) expect.fail(result.failure);
    // eslint-disable-next-line no-console
    console.log(`seed ${seed} (two sources) passed: ${result.comparison.live.length} alerts equal, ${result.live.done.length} disturbance(s)`);
  });
});
