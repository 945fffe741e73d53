/**
 * `${NAME}` / `${NAME:-default}` in config strings. `$${` writes a literal `${`.
 * Values are never echoed: a problem names only the variable.
 */
import type { YamlPath } from './yaml-source.js';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface MissingVariable {
  readonly path: YamlPath;
  readonly name: string;
  /** Offset of `${` in the string. */
  readonly offset: number;
}

/** Returns a copy of `value` with every string interpolated, and the variables that were unset. */
export function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>): { value: unknown; missing: MissingVariable[] } {
  const missing: MissingVariable[] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') return v.includes('$') ? substitute(v, env, (name, offset) => missing.push({ path: [...path], name, offset })) : v;
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: walk(value, []), missing };
}

function substitute(text: string, env: Readonly<Record<string, string | undefined>>, onMissing: (name: string, offset: number) => void): string {
  return text.replace(REF, (whole: string, name: string | undefined, fallback: string | undefined, offset: number) => {
    if (whole === '$${') return '${';
    const set = env[name!];
    if (set !== undefined && set !== '') return set;
    if (fallback !== undefined) return fallback;
    if (set === '') return '';
    onMissing(name!, offset);
    return '';
  });
}
