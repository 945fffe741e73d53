/**
 * Imports point downstream only (ARCHITECTURE.md): each stage folder of src/
 * may import the folders listed for it and nothing else, with no exceptions.
 * The values and seams the stages share live in src/model/, which each may
 * import; the daemon puts the stages together and only the CLI imports it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.resolve(import.meta.dirname, '../src');

const ALLOWED: Record<string, readonly string[]> = {
  // model (src/model/: config, events, alerts, the ports, the template grammar) holds the values and
  // seams the stages share; a template's field paths are the filter's JSON selectors.
  model: ['filter'],
  // time (src/time.ts, the clock and timers port) is a leaf every stage may import.
  filter: ['time'],
  engine: ['filter', 'duration', 'problems', 'time', 'model'],
  config: ['filter', 'duration', 'problems', 'time', 'model'],
  ruletest: ['config', 'engine', 'filter', 'duration', 'problems', 'time', 'model'],
  emulator: ['filter', 'duration', 'problems', 'time', 'model'],
  livetail: ['config', 'engine', 'filter', 'duration', 'problems', 'time', 'model'],
  notify: ['duration', 'problems', 'time', 'model'],
  grep: ['filter', 'duration', 'problems', 'time', 'model'],
  daemon: ['config', 'engine', 'filter', 'livetail', 'notify', 'duration', 'problems', 'time', 'model'],
  cli: ['config', 'engine', 'filter', 'grep', 'ruletest', 'emulator', 'livetail', 'notify', 'daemon', 'duration', 'problems', 'time', 'model'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm;

describe('stage folders import only downstream stages', () => {
  it.each(Object.keys(ALLOWED))('src/%s', (stage) => {
    const dir = path.join(src, stage);
    let present: string[];
    try {
      present = files(dir);
    } catch {
      return; // the stage does not exist in this tree
    }
    const violations: string[] = [];
    for (const file of present) {
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const spec = m[3]!;
        if (!spec.startsWith('.')) continue;
        const target = path.relative(src, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '');
        const top = target.split(path.sep)[0]!;
        if (top === stage) continue;
        const typeOnly = m[2] !== undefined;
        const ok = ALLOWED[stage]!.some((a) => target === a || target.startsWith(`${a}/`) || (a === top && !a.includes('/')));
        if (!ok) violations.push(`${path.relative(src, file)} imports ${spec}${typeOnly ? ' (type)' : ''}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
