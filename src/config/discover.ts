/**
 * Rule file discovery: files or folders, folders searched recursively for
 * `*.yaml` / `*.yml`. Rule unit tests (`*.test.yaml`) and dot-folders are
 * skipped. Sorted so that loading (and duplicate-id reports) are deterministic.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InputFileError } from '../problems.js';
import { fileKind, notAFile, statInput } from './input-file.js';

const RULE_FILE = /\.ya?ml$/;
const TEST_FILE = /\.test\.ya?ml$/;

export function isRuleFile(name: string): boolean {
  return RULE_FILE.test(name) && !TEST_FILE.test(name);
}

/**
 * Absolute paths of rule files under `target`; throws `InputFileError` (with
 * `display` as its path) when it does not exist or is neither a file nor a folder.
 */
export async function findRuleFiles(target: string, display: string): Promise<string[]> {
  const info = await statInput(target, display);
  const kind = fileKind(info);
  if (kind === 'file') return [target];
  if (kind !== 'folder') throw new InputFileError(display, notAFile(kind));
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
