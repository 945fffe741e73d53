/**
 * Rule file discovery: files or folders, folders searched recursively for
 * `*.yaml` / `*.yml`. Rule unit tests (`*.test.yaml`) and dot-folders are
 * skipped. Sorted so that loading (and duplicate-id reports) are deterministic.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const RULE_FILE = /\.ya?ml$/;
const TEST_FILE = /\.test\.ya?ml$/;

export function isRuleFile(name: string): boolean {
  return RULE_FILE.test(name) && !TEST_FILE.test(name);
}

/** Absolute paths of rule files under `target`; throws ENOENT when it does not exist. */
export async function findRuleFiles(target: string): Promise<string[]> {
  const info = await stat(target);
  if (!info.isDirectory()) return [target];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && isRuleFile(e.name)) out.push(full);
    }
  };
  await walk(target);
  return out;
}
