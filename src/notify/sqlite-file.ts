/**
 * A SQLite file of the state directory, opened the way every notify store
 * wants it: created owner-only (it holds log lines; SQLite gives its -wal and
 * -shm files the same mode), WAL journal, `synchronous = NORMAL` (durable
 * across a process crash; a store that needs FULL for some commits sets it
 * per transaction), and a busy timeout for several connections to one file.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export function openStateDb(stateDir: string, fileName: string): Database.Database {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, fileName);
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
