/**
 * Engine state (windows, throttles) across restarts: one JSON file in
 * `state.dir`, replaced atomically (write a temp file, fsync, rename) so a
 * crash leaves either the old or the new state, never half of one. On a full
 * disk the write throws before the rename: the old file stays, and the temp
 * file is removed (it would hold the space that is left).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class StateFile<T> {
  readonly path: string;

  constructor(dir: string, name: string) {
    mkdirSync(dir, { recursive: true });
    this.path = path.join(dir, name);
  }

  /** The saved value, or undefined when there is none or it is unreadable (reported through `onCorrupt`). */
  read(onCorrupt: (err: Error) => void = () => {}): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      onCorrupt(err as Error);
      return undefined;
    }
  }

  write(value: T): void {
    this.writeParts([JSON.stringify(value)]);
  }

  /** Writes a JSON text given in pieces (a large state is never joined into one string). */
  writeParts(parts: readonly string[]): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      try {
        // writeFileSync on a descriptor writes until every byte is out: one writeSync returns a short
        // count when the disk fills up mid-way (the next write is the one that fails with ENOSPC).
        let chunk = '';
        for (const part of parts) {
          chunk += part;
          if (chunk.length >= 1 << 20) {
            writeFileSync(fd, chunk);
            chunk = '';
          }
        }
        if (chunk !== '') writeFileSync(fd, chunk);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone (or the folder is): nothing to clean up
      }
      throw err;
    }
  }
}
