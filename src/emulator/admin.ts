/**
 * The emulator's admin API for tests and `tailwatch emulate` users:
 * `GET /_emulator/sessions` (stats and sessions), `POST /_emulator/faults`
 * (faults.ts), `POST /_emulator/ingestion-delay`, `POST /_emulator/flush`
 * (send pending Live Tail updates now).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFault, type Fault } from './faults.js';
import { readBody, sendJson } from './http-parts.js';
import type { Emulator } from './server.js';

export async function handleAdmin(emulator: Emulator, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && path === '/_emulator/sessions') {
    return sendJson(res, 200, { ...emulator.stats(), sessions: emulator.sessions() });
  }
  if (req.method === 'POST' && path === '/_emulator/faults') {
    let fault: Fault;
    try {
      fault = parseFault(JSON.parse((await readBody(req)).toString('utf8')));
    } catch (err) {
      return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
    return sendJson(res, 200, { affectedSessions: emulator.injectFault(fault) });
  }
  if (req.method === 'POST' && path === '/_emulator/ingestion-delay') {
    let ms: unknown;
    try {
      ms = (JSON.parse((await readBody(req)).toString('utf8')) as { ms?: unknown }).ms;
    } catch {
      ms = undefined;
    }
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return sendJson(res, 400, { error: 'expected {"ms": a non-negative number}' });
    emulator.setIngestionDelay(ms);
    return sendJson(res, 200, { ingestionDelayMs: ms });
  }
  if (req.method === 'POST' && path === '/_emulator/flush') {
    emulator.flushUpdates();
    return sendJson(res, 200, { active: emulator.activeSessionCount() });
  }
  sendJson(res, 404, { error: `no admin route ${req.method} ${path}` });
}
