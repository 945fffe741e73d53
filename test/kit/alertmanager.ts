/**
 * The Alertmanager binary for tests that run the real one: ALERTMANAGER_BIN, else Debian's
 * `prometheus-alertmanager` or upstream's `alertmanager` on PATH. Missing: undefined, after one line
 * naming what to install (an error under CI, like every tool of tools.ts).
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { hasTool } from './tools.js';

const INSTALL = 'apt-get install prometheus-alertmanager, or the alertmanager release binary on PATH';

function onPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return path.join(dir, command);
    } catch {
      // not here
    }
  }
  return undefined;
}

export function alertmanagerBinary(): string | undefined {
  const configured = process.env['ALERTMANAGER_BIN'];
  if (configured) return configured;
  const found = onPath('prometheus-alertmanager') ?? onPath('alertmanager');
  if (found) return found;
  hasTool('alertmanager', INSTALL); // warns (or throws under CI) with the install hint
  return undefined;
}
