/**
 * Reading the config and rule files as untrusted input: regular files only
 * (a FIFO is never opened for a blocking read, a device never read), at most
 * `MAX_FILE_BYTES`, and every failure a one-line reason instead of a system
 * error with a stack trace.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, stat } from 'node:fs/promises';
import { InputFileError } from '../problems.js';

/**
 * 4 MiB: a thousand rules of `bench/validate.mjs` take 780 KB, while parsing
 * (and positioning problems in) a 50 MB scalar took 20 s and 1.8 GB of
 * memory; a 4 MiB scalar takes about 2 s and 220 MB.
 */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

const MiB = 1024 * 1024;

/** The reason of a path that does not exist (not even as a dangling link). */
export const NO_SUCH_FILE = 'no such file or folder';

/**
 * The text of the file at `abs` (UTF-8). Throws `InputFileError` (with
 * `display` as its path) when it is not a regular file, cannot be read or is
 * larger than `MAX_FILE_BYTES`.
 */
export async function readInputFile(abs: string, display: string, maxBytes = MAX_FILE_BYTES): Promise<string> {
  const info = await statInput(abs, display);
  const kind = fileKind(info);
  if (kind !== 'file') throw new InputFileError(display, notAFile(kind));
  if (info.size > maxBytes) throw new InputFileError(display, tooLarge(info.size, maxBytes));
  let handle;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait for a writer.
    handle = await open(abs, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new InputFileError(display, await errorReason(abs, err), (err as NodeJS.ErrnoException).code);
  }
  try {
    const opened = fileKind(await handle.stat());
    if (opened !== 'file') throw new InputFileError(display, notAFile(opened));
    // Read at most one byte more than allowed: a file that grew since the stat is still capped.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(maxBytes + 1 - total, Math.max(info.size - total + 1, 64 * 1024));
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new InputFileError(display, tooLarge(Math.max(total, info.size), maxBytes, true));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(display, await errorReason(abs, err), (err as NodeJS.ErrnoException).code);
  } finally {
    await handle.close();
  }
}

/** `stat` (following links) with the failure as an `InputFileError`. */
export async function statInput(abs: string, display: string): Promise<Stats> {
  try {
    return await stat(abs);
  } catch (err) {
    throw new InputFileError(display, await errorReason(abs, err), (err as NodeJS.ErrnoException).code);
  }
}

export type FileKind = 'file' | 'folder' | 'FIFO' | 'socket' | 'character device' | 'block device' | 'symlink' | 'special file';

export function fileKind(s: Stats): FileKind {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'folder';
  if (s.isFIFO()) return 'FIFO';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice()) return 'character device';
  if (s.isBlockDevice()) return 'block device';
  if (s.isSymbolicLink()) return 'symlink';
  return 'special file';
}

export function notAFile(kind: FileKind): string {
  return kind === 'folder' ? 'is a folder, not a file' : `not a regular file (a ${kind})`;
}

function tooLarge(size: number, max: number, atLeast = false): string {
  return `file is ${atLeast ? 'more than ' : ''}${mib(atLeast ? max : size, max)}, larger than the ${mib(max)} limit`;
}

/** Bytes in MiB to one decimal (KiB below 1 MiB); never rounded down to `floor` or below: a file just over the limit does not read as the limit. */
function mib(bytes: number, floor = 0): string {
  const exact = bytes / MiB;
  let n = Math.round(exact * 10) / 10;
  if (exact > floor / MiB && n <= floor / MiB) n = Math.ceil(exact * 10) / 10;
  if (n < 1) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${Number.isInteger(n) ? n : n.toFixed(1)} MiB`;
}

/** A system error as a short reason; a missing path that is a link says so (its target is missing). */
export async function errorReason(abs: string, err: unknown): Promise<string> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': {
      const link = await lstat(abs).then((s) => s.isSymbolicLink(), () => false);
      return link ? 'dangling symlink (its target does not exist)' : NO_SUCH_FILE;
    }
    case 'ELOOP':
      return 'symlink loop (too many levels of symbolic links)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTDIR':
      return 'no such file or folder (a part of the path is a file)';
    case 'ENXIO':
      return 'not a regular file (a socket or device)';
    case 'ENAMETOOLONG':
      return 'path too long';
    case 'EIO':
      return 'input/output error';
    default:
      return code ? `cannot read (${code})` : (err as Error | undefined)?.message ?? 'cannot read';
  }
}
