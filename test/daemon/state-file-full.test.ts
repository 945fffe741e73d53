/**
 * The engine state file on a full disk (a real tmpfs, see test/kit/small-fs.ts):
 * a write that cannot complete throws and leaves the last good state in
 * place, with no temp file eating the space that is left. (On a full disk
 * write(2) first writes what fits and returns a short count, so one
 * writeSync of the whole text "succeeded" with half of it.)
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StateFile } from '../../src/daemon/state-file.js';
import { canMountTmpfs, smallFs, type SmallFs } from '../kit/small-fs.js';

const mounted: SmallFs[] = [];
afterEach(() => {
  while (mounted.length) mounted.pop()!.unmount();
});

describe.runIf(canMountTmpfs())('the state file on a full disk', () => {
  it('keeps the old file intact when the new one fits only in part, removes its temp file, and writes again once there is space', () => {
    const fs = smallFs(256)!;
    mounted.push(fs);
    const file = new StateFile<{ text: string }>(fs.dir, 'engine-state.json');
    const good = { text: 'a'.repeat(20_000) };
    file.write(good);
    // Room for part of the new state: the first write(2) comes up short, the next one fails.
    fs.fill(16_384);
    expect(() => file.write({ text: 'b'.repeat(60_000) })).toThrow(/ENOSPC/);
    expect(file.read()).toEqual(good);
    expect(readdirSync(fs.dir).sort()).toEqual(['.filler', 'engine-state.json']);
    fs.free();
    file.write({ text: 'c'.repeat(60_000) });
    expect(file.read()).toEqual({ text: 'c'.repeat(60_000) });
  });
});
