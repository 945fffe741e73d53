// Every public test vector (test/fixtures/filter-vectors/, copied from
// ../shared/filter-vectors with their `source`), our own vectors from the AWS
// docs and our documented decisions (tailwatch.jsonl), and a decision for
// every disputed case (see src/filter/README.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern, FilterPatternError } from '../../src/filter/index.js';

interface Vector {
  pattern: string;
  message: string;
  match: boolean | null;
  source: string;
}

function load(name: string): Vector[] {
  const text = readFileSync(new URL(`../fixtures/filter-vectors/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Vector);
}

for (const file of ['vectors.jsonl', 'tailwatch.jsonl']) {
  describe(file, () => {
    it.each(load(file).map((v, i) => ({ ...v, line: i + 1 })))('line $line: $pattern', (v) => {
      expect(v.source).not.toBe('');
      expect(compileFilterPattern(v.pattern).matches(v.message)).toBe(v.match);
    });
  });
}

/**
 * Our decision for each line of disputed.jsonl: the result, or 'invalid' when
 * we reject the pattern (as AWS documents or is reported to).
 */
const DECISIONS: Record<number, boolean | 'invalid'> = {
  1: false, // `= true` on a boolean: booleans only through IS TRUE / IS FALSE (the docs document nothing else)
  2: false, // `= false` on a true boolean: false under every reading
  3: true, // `= true` is the text "true"; it matches the string "true"
  4: true, // a string value compares with a number's text ("3" vs 3), as `= 4*` matches 404
  5: false, // a number compares with JSON numbers only, not numeric strings
  6: false, // missing field: no comparison holds, != included (docs lean false)
  7: false, // IS NULL: explicit null only (AWS docs)
  8: 'invalid', // EXISTS: documented as unsupported
  9: 'invalid', // IS NOT: documented as unsupported
  10: 'invalid', // `{ }`: no comparison; undocumented, probably invalid on AWS
  11: 'invalid', // bare selector: undocumented, probably invalid on AWS
  12: false, // [w1=ERROR]: the single field takes the whole line (the docs' blank-indicator note)
  13: true, // [a, b] on 3 words: the last field takes the rest (the docs' 7-word example)
  14: false, // ERR*: `*` is literal in terms; no wildcard documented there
  15: true, // #Cloud: unquoted terms are literal substrings
  16: true, // same, mixed with a quoted phrase
  17: true, // "": an empty phrase matches everything, like " "
  18: true, // -ERROR alone: events without ERROR (Lightsail documents the same syntax so)
  19: true, // Ev*ent: a mid-value * is literal (2018–2020 docs)
  20: false, // Ev*ent does not match EvXent
  21: true, // *Event: leading wildcard
  22: true, // Event*: trailing wildcard
  23: true, // [w1=ERROR, w2] on 3 words: current docs, every implementation
  24: 'invalid', // a condition on another field inside one field: the console rejects it
  25: 'invalid', // '>' is not an allowed regex character
  26: false, // a non-JSON message never matches a JSON pattern
};

describe('disputed.jsonl (decided, see src/filter/README.md)', () => {
  const disputed = load('disputed.jsonl');
  it('has a decision for every line', () => {
    expect(Object.keys(DECISIONS).map(Number).sort((a, b) => a - b)).toEqual(disputed.map((_, i) => i + 1));
  });
  it.each(disputed.map((v, i) => ({ ...v, line: i + 1, decision: DECISIONS[i + 1] })))('line $line: $pattern → $decision', (v) => {
    if (v.decision === 'invalid') {
      expect(() => compileFilterPattern(v.pattern)).toThrow(FilterPatternError);
      return;
    }
    expect(compileFilterPattern(v.pattern).matches(v.message)).toBe(v.decision);
    // Where the docs lean one way, the decision follows them.
    if (v.match !== null) expect(v.decision).toBe(v.match);
  });
});
