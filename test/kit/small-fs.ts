/**
 * A real, small filesystem for full-disk tests: a tmpfs of a few hundred KB
 * mounted on a fresh temp folder. It needs root (CI runs as root, and so
 * does the sandbox); where `mount` is not allowed `canMountTmpfs()` is false
 * and the tests that need it are skipped. `fill()` writes a filler file
 * until the filesystem says ENOSPC; `free()` deletes it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallFs {
  readonly dir: string;
  /** Fills it up (ENOSPC), then gives `leaveBytes` back (a disk *almost* full: writes come up short). */
  fill(leaveBytes?: number): void;
  free(): void;
  unmount(): void;
}

let allowed: boolean | undefined;

/** Whether this process may mount a tmpfs (probed once). */
export function canMountTmpfs(): boolean {
  if (allowed === undefined) {
    const fs = tryMount(64);
    allowed = fs !== undefined;
    fs?.unmount();
  }
  return allowed;
}

export function smallFs(sizeKb: number): SmallFs | undefined {
  if (allowed === false) return undefined;
  return tryMount(sizeKb);
}

function tryMount(sizeKb: number): SmallFs | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-smallfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const filler = path.join(dir, '.filler');
  let mounted = true;
  return {
    dir,
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 0x78);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
      if (leaveBytes > 0) truncateSync(filler, Math.max(0, statSync(filler).size - leaveBytes));
    },
    free() {
      try {
        unlinkSync(filler);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
