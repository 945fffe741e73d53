/**
 * The counting NFA: it runs the CloudWatch regexes (`%…%`, parsed in
 * regex.ts) that regex.ts does not hand to V8's backtracking RegExp because
 * their backtracking is not bounded: `a\w*=`, `ERROR.*timeout`, the IPv4
 * regex, counts up to 1000. O(text length × pattern pieces), no backtracking.
 *
 * Each alternative is a sequence of units: a character set repeated
 * min..max times, or a `^`/`$` test. A thread inside a unit is described by
 * how many characters of it it has consumed; all threads inside one unit see
 * the same characters, so they advance together and die together. A unit
 * therefore keeps the text indexes at which its live threads entered, oldest
 * first (count = now − entry): threads whose count passes `max` leave at the
 * front, new threads join at the back, and the unit can be left when its
 * oldest thread has at least `min`. That is O(units) a character whatever the
 * counts: `a{0,1000}a{0,1000}b` costs three units, not two thousand states.
 */

/** One character class: an ASCII table plus whether non-ASCII characters match. */
export interface CharSet {
  readonly ascii: Uint8Array;
  readonly nonAscii: boolean;
}

/** What the NFA runs: a character set repeated min..max times, or a `^`/`$` test (regex.ts's `Item`). */
export type NfaItem =
  | { readonly kind: 'set'; readonly set: CharSet; readonly min: number; readonly max: number }
  | { readonly kind: 'bol' }
  | { readonly kind: 'eol' };

/**
 * The test of a regex given as alternatives of items: the NFA, behind a
 * native substring search for a literal every match needs when each
 * alternative has one (most lines lack it).
 */
export function compileNfa(alternatives: readonly (readonly NfaItem[])[]): (text: string) => boolean {
  const nfa = buildNfa(alternatives);
  const literals = alternatives.map(longestLiteral);
  if (literals.every((l) => l.length > 0)) return (text) => literals.some((l) => text.includes(l)) && runNfa(nfa, text);
  return (text) => runNfa(nfa, text);
}

/** The longest run of single characters every match of the alternative contains. */
function longestLiteral(alt: readonly NfaItem[]): string {
  let best = '';
  let run = '';
  for (const it of alt) {
    const code = it.kind === 'set' ? singleCode(it.set) : undefined;
    if (it.kind === 'set' && code !== undefined && it.min >= 1) {
      run += String.fromCharCode(code).repeat(it.min);
      if (run.length > best.length) best = run;
      if (it.max === it.min) continue;
    }
    run = '';
  }
  return best;
}

function singleCode(set: CharSet): number | undefined {
  if (set.nonAscii) return undefined;
  let found: number | undefined;
  for (let i = 0; i < 128; i++) {
    if (!set.ascii[i]) continue;
    if (found !== undefined) return undefined;
    found = i;
  }
  return found;
}

const BOL = 1;
const EOL = 2;
const CHAR = 3;

interface Unit {
  readonly kind: number;
  readonly set: CharSet | undefined;
  readonly min: number;
  readonly max: number;
  /** Entry indexes of live threads: a ring buffer holding at most `max + 1` (or `min + 1` when unbounded). */
  readonly ring: Int32Array;
}

interface Nfa {
  readonly alternatives: readonly (readonly Unit[])[];
  readonly units: readonly Unit[];
  /** Ring heads and lengths, reused by every run (a run never re-enters itself). */
  readonly heads: Int32Array;
  readonly lens: Int32Array;
  /** When every alternative starts by consuming a character: the union of those first sets. */
  readonly starter: CharSet | undefined;
  /** Every alternative starts with `^`: nothing can start after index 0. */
  readonly anchored: boolean;
}

function buildNfa(items: readonly (readonly NfaItem[])[]): Nfa {
  const alternatives = items.map((alt) =>
    alt.map((it): Unit => {
      if (it.kind !== 'set') return { kind: it.kind === 'bol' ? BOL : EOL, set: undefined, min: 0, max: 0, ring: new Int32Array(0) };
      const bound = it.max === Infinity ? it.min + 1 : it.max + 1;
      return { kind: CHAR, set: it.set, min: it.min, max: it.max, ring: new Int32Array(bound + 1) };
    }),
  );
  const units = alternatives.flat();
  let starter: CharSet | undefined = { ascii: new Uint8Array(128), nonAscii: false };
  for (const alt of alternatives) {
    const first = alt[0];
    if (!first || first.kind !== CHAR || first.min < 1) {
      starter = undefined;
      break;
    }
    for (let i = 0; i < 128; i++) if (first.set!.ascii[i]) starter.ascii[i] = 1;
    starter = { ascii: starter.ascii, nonAscii: starter.nonAscii || first.set!.nonAscii };
  }
  const anchored = alternatives.every((alt) => alt[0]?.kind === BOL);
  return { alternatives, units, heads: new Int32Array(units.length), lens: new Int32Array(units.length), starter, anchored };
}

function runNfa(nfa: Nfa, text: string): boolean {
  const n = text.length;
  const { alternatives, units, heads, lens, starter, anchored } = nfa;
  lens.fill(0);
  let live = false;
  for (let i = 0; ; i++) {
    if (!live && anchored && i > 0) return false;
    // No thread alive: jump to the next character that can start a match.
    if (!live && starter) {
      while (i < n) {
        const code = text.charCodeAt(i);
        if (code < 128 ? starter.ascii[code] : starter.nonAscii) break;
        i++;
      }
    }
    // Threads start at every index (unanchored search) and pass through units without consuming.
    let u = 0;
    for (const alt of alternatives) {
      let enter = true;
      for (const unit of alt) {
        if (unit.kind === BOL) enter &&= i === 0;
        else if (unit.kind === EOL) enter &&= i === n;
        else {
          const ring = unit.ring;
          if (enter) ring[(heads[u]! + lens[u]!++) % ring.length] = i;
          enter = lens[u]! > 0 && i - ring[heads[u]!]! >= unit.min;
        }
        u++;
      }
      if (enter) return true;
    }
    if (i === n) return false;
    const code = text.charCodeAt(i);
    live = false;
    for (let k = 0; k < units.length; k++) {
      const unit = units[k]!;
      if (unit.kind !== CHAR || lens[k] === 0) continue;
      const set = unit.set!;
      if (!(code < 128 ? set.ascii[code] : set.nonAscii)) {
        lens[k] = 0;
        continue;
      }
      const ring = unit.ring;
      const size = ring.length;
      const now = i + 1;
      while (lens[k]! > 0 && now - ring[heads[k]!]! > unit.max) {
        heads[k] = (heads[k]! + 1) % size;
        lens[k]!--;
      }
      if (unit.max === Infinity) {
        // Two threads both past `min` behave alike from here on: keep the newer.
        while (lens[k]! >= 2 && now - ring[(heads[k]! + 1) % size]! >= unit.min) {
          heads[k] = (heads[k]! + 1) % size;
          lens[k]!--;
        }
      }
      live ||= lens[k]! > 0;
    }
  }
}
