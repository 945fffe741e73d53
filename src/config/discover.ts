/**
 * Rule file discovery: files or folders, folders searched recursively for
 * `*.yaml` / `*.yml`. Rule unit tests (`*.test.yaml`), dot-entries and
 * `node_modules` are skipped when walking. Symlinks to files and folders are
 * followed (a Kubernetes ConfigMap mount, GNU stow, a linked subfolder): a
 * link that points into a skipped dot-folder such as `..data` is still
 * followed, since it is the link's own name that counts. Sorted so that
 * loading (and duplicate-id reports) are deterministic.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputFileError } from '../problems.js';
import { errorReason, fileKind, notAFile, statInput } from './input-file.js';

const RULE_FILE = /\.ya?ml$/;
const TEST_FILE = /\.test\.ya?ml$/;

export function isRuleFile(name: string): boolean {
  return RULE_FILE.test(name) && !TEST_FILE.test(name);
}

export interface FoundFile {
  /** The path as reached from the target (through links), absolute: what problems name. */
  readonly path: string;
  /** The file itself, every link resolved: two paths to one file load it once. */
  readonly real: string;
}

export interface Discovered {
  readonly files: readonly FoundFile[];
  /** Entries under a folder target that cannot be followed or read: absolute path and why. */
  readonly problems: readonly { readonly path: string; readonly reason: string }[];
}

/**
 * Rule files under `target`. Throws `InputFileError` (with `show(target)` as its
 * path) when the target itself does not exist, is a dangling link or a
 * symlink loop, or is neither a file nor a folder. Under a folder, a dangling
 * link or a link loop (whatever its name: it might have been a folder) and a
 * FIFO, socket or device named like a rule file are problems; they are never
 * opened.
 */
export async function findRuleFiles(target: string, show: (abs: string) => string): Promise<Discovered> {
  const display = show(target);
  const info = await statInput(target, display);
  const kind = fileKind(info);
  const real = await realpath(target).catch(async (err: unknown) => {
    throw new InputFileError(display, await errorReason(target, err), (err as NodeJS.ErrnoException).code);
  });
  if (kind === 'file') return { files: [{ path: target, real }], problems: [] };
  if (kind !== 'folder') throw new InputFileError(display, notAFile(kind));

  const files: FoundFile[] = [];
  const problems: { path: string; reason: string }[] = [];
  const walked = new Set<string>();
  /** `dir` as reached, `realDir` resolved; `ancestors`: the real folders that contain it (and itself). */
  const walk = async (dir: string, realDir: string, ancestors: readonly string[]): Promise<void> => {
    walked.add(realDir);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ path: dir, reason: await errorReason(dir, err) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = path.join(dir, e.name);
      if (e.isSymbolicLink()) {
        let linked;
        let resolved: string;
        try {
          linked = await stat(full);
          resolved = await realpath(full);
        } catch (err) {
          problems.push({ path: full, reason: await errorReason(full, err) });
          continue;
        }
        const k = fileKind(linked);
        if (k === 'folder') {
          if (ancestors.includes(resolved)) problems.push({ path: full, reason: `symlink loop (links to ${show(resolved)}, a folder that contains it)` });
          else if (!walked.has(resolved)) await walk(full, resolved, [...ancestors, resolved]);
        } else if (isRuleFile(e.name)) {
          if (k === 'file') files.push({ path: full, real: resolved });
          else problems.push({ path: full, reason: notAFile(k) });
        }
      } else if (e.isDirectory()) {
        const realSub = path.join(realDir, e.name);
        if (!walked.has(realSub)) await walk(full, realSub, [...ancestors, realSub]);
      } else if (isRuleFile(e.name)) {
        if (e.isFile()) files.push({ path: full, real: path.join(realDir, e.name) });
        else problems.push({ path: full, reason: notAFile(fileKindOfEntry(e)) });
      }
    }
  };
  await walk(target, real, [real]);
  return { files, problems };
}

function fileKindOfEntry(e: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): ReturnType<typeof fileKind> {
  if (e.isFIFO()) return 'FIFO';
  if (e.isSocket()) return 'socket';
  if (e.isCharacterDevice()) return 'character device';
  if (e.isBlockDevice()) return 'block device';
  return 'special file';
}
