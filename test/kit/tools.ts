/**
 * System tools some tests need (promtool, python3, systemd-analyze, systemd-notify). On a fresh
 * machine without one, its tests are skipped with one line saying what to install; under CI
 * (`CI` set) a missing tool is an error, so CI never passes by skipping. Never a hang: the tool
 * is looked up on PATH, not run.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const found = new Map<string, boolean>();

function onPath(command: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** True when `command` is on PATH; otherwise warns once (or throws under CI) and returns false. */
export function hasTool(command: string, install: string): boolean {
  let ok = found.get(command);
  if (ok === undefined) {
    ok = onPath(command);
    found.set(command, ok);
    if (!ok) {
      if (process.env['CI']) throw new Error(`${command} is missing: CI must provide it (${install}); tests that need it are not skipped in CI`);
      console.warn(`skipping the tests that need ${command}: not found on PATH (install: ${install})`);
    }
  }
  return ok;
}
