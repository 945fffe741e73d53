// Matching time stays linear in the message length on hostile input. The
// bounds are generous (seconds, where a backtracking engine takes minutes or
// hours); speed itself is measured in bench/.
import { describe, expect, it } from 'vitest';
import { compileFilterPattern } from '../../src/filter/index.js';

const A50K = 'a'.repeat(50_000);
/** CloudWatch's largest event. */
const A256K = 'a'.repeat(256 * 1024);

function timed(pattern: string, message: string): { result: boolean; ms: number } {
  const compiled = compileFilterPattern(pattern);
  const start = performance.now();
  const result = compiled.matches(message);
  return { result, ms: performance.now() - start };
}

describe('hostile regexes finish quickly on 50 KB of "a"', () => {
  it.each([
    '%a*a*a*a*a*a*a*b%', // the same lines as %b%
    '%\\w*\\w*\\w*\\w*\\w*!%'.replace('!', '#'),
    '%.*.*.*.*.*=%',
    '%a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaab%',
    '%a{1,30}a{1,30}a{1,30}a{1,30}b%', // too many paths for a backtracker: the NFA
    '%a{0,1000}a{0,1000}b%',
    '%^x|a*a*a*a*c$%',
    '%[^b]*[^b]*[^b]*[^b]*b%',
  ])('%s', (pattern) => {
    const { result, ms } = timed(pattern, A50K);
    expect(result).toBe(false);
    expect(ms).toBeLessThan(5_000);
  });

  it('also as JSON and space-delimited values', () => {
    const json = timed('{ $.m = %a*a*a*a*a*a*a*b% }', JSON.stringify({ m: A50K }));
    expect(json.result).toBe(false);
    expect(json.ms).toBeLessThan(5_000);
    const words = timed('[w = %a{1,40}a{1,40}a{1,40}b%, ...]', A50K + ' x');
    expect(words.result).toBe(false);
    expect(words.ms).toBeLessThan(5_000);
  });

  it('space-delimited patterns with ellipses stay linear on many words', () => {
    const message = 'x '.repeat(100_000);
    const r = timed('[..., a = y, ..., b = y, ...]', message);
    expect(r.result).toBe(false);
    expect(r.ms).toBeLessThan(5_000);
  });
});

// One variable-length piece was enough: V8 steps back through a greedy loop
// without counting backtracks, so its fallback never fired and every start
// position scanned to the end of the line (10–13 s each on 256 KiB).
describe('one repetition is no longer quadratic on 256 KiB of "a"', () => {
  it.each([
    ['%a*b%', 'a'],
    ['%a+b%', 'a'],
    ['%.*=%', 'a'],
    ['%[a-z]*\\d%', 'a'],
    ['%\\w+=%', 'a'],
    ['%a\\w*=%', 'a'], // not trimmed away: the NFA
    ['%a[a-z]{0,1000}=%', 'a'],
  ])('%s', (pattern) => {
    const { result, ms } = timed(pattern, A256K);
    expect(result).toBe(false);
    expect(ms).toBeLessThan(3_000);
  });

  it('also as JSON and space-delimited values', () => {
    const json = timed('{ $.m = %a\\w*=% }', JSON.stringify({ m: A256K }));
    expect(json.result).toBe(false);
    expect(json.ms).toBeLessThan(3_000);
    const words = timed('[w = %.*=%, ...]', A256K + ' x');
    expect(words.result).toBe(false);
    expect(words.ms).toBeLessThan(3_000);
  });
});

describe('hostile lines that contain the required literal', () => {
  it.each([
    ['%a*a*a*a*a*a*a*b$%', 'b' + A50K],
    ['%a*a*a*a*a*a*a*b\\d%', 'b' + A50K + 'b'],
    ['%\\w*\\w*\\w*\\w*=x%', '=' + A50K],
    ['%^a*a*a*a*b%', A50K + 'b!'.repeat(1)],
  ])('%s', (pattern, message) => {
    const { ms } = timed(pattern, message);
    expect(ms).toBeLessThan(5_000);
    expect(timed(pattern, message).result).toBe(pattern === '%^a*a*a*a*b%');
  });
});
