/**
 * The Alertmanager destinations' open firings, on disk at
 * `<state.dir>/alertmanager.sqlite` (SQLite, WAL): what the re-poster posts
 * again every `resendInterval`. One row per destination and Alertmanager
 * identity (the label set):
 *
 *   fired     a firing was delivered                 → open   (its payload, without endsAt)
 *   resolved  its resolve was delivered              → closed (the resolve's payload, with endsAt)
 *   drop      the rule no longer resolves (reload)   → gone
 *   purge     closed longer than the retention       → gone
 *
 * Rows are ordered by the alert's decision time (`firedAt`, event time): a
 * firing delivered after a later resolve of the same labels (a retry that
 * lost the race) does not reopen it; a resolve wins a tie.
 *
 * Writes commit with `synchronous = NORMAL` (WAL): durable across a process
 * crash (kill -9), like the outbox's transitions. A write happens before the
 * send that caused it reports success, so the outbox's ack, which comes
 * after, never gets ahead of it: a kill between the two re-sends the alert
 * after the restart, and that records it again.
 */
import { openStateDb } from '../sqlite-file.js';
import type { AmAlert } from './payload.js';

export const OPEN_SET_FILE = 'alertmanager.sqlite';

export interface OpenEntry {
  readonly key: string;
  readonly ruleId: string;
  readonly state: 'open' | 'closed';
  /** The alert's decision time (epoch ms, event time). */
  readonly at: number;
  /** Open: the firing as first posted (no endsAt). Closed: the resolve (with endsAt). */
  readonly alert: AmAlert;
  /** When the resolve was delivered (wall clock), for the closed retention. */
  readonly closedAt: number | undefined;
}

export interface OpenSet {
  /** Records a delivered firing as open, unless a later (or equal) change of the same labels is known. */
  fired(key: string, ruleId: string, at: number, alert: AmAlert): void;
  /** Records a delivered resolve, unless a later change of the same labels is known. */
  resolved(key: string, ruleId: string, at: number, alert: AmAlert, now: number): void;
  entries(): OpenEntry[];
  drop(keys: readonly string[]): void;
  /** Deletes closed rows whose resolve was delivered before `before`. */
  purgeClosed(before: number): number;
  close(): void;
}

export function openOpenSet(stateDir: string, destination: string): OpenSet {
  // Labels and texts come from logs: owner-only, like the outbox. Several Alertmanager
  // destinations share the file, one connection each (the busy timeout).
  const db = openStateDb(stateDir, OPEN_SET_FILE);
  db.exec(`
    CREATE TABLE IF NOT EXISTS open_alert (
      destination TEXT NOT NULL,
      key         TEXT NOT NULL,
      rule_id     TEXT NOT NULL,
      state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
      at          INTEGER NOT NULL,
      payload     TEXT NOT NULL,
      closed_at   INTEGER,
      PRIMARY KEY (destination, key)
    ) WITHOUT ROWID;
  `);
  const upsert = db.prepare(
    `INSERT INTO open_alert (destination, key, rule_id, state, at, payload, closed_at) VALUES (@destination, @key, @ruleId, @state, @at, @payload, @closedAt)
     ON CONFLICT (destination, key) DO UPDATE SET rule_id = excluded.rule_id, state = excluded.state, at = excluded.at, payload = excluded.payload, closed_at = excluded.closed_at
     WHERE open_alert.at < excluded.at OR (open_alert.at = excluded.at AND excluded.state = 'closed')`,
  );
  const select = db.prepare(`SELECT key, rule_id, state, at, payload, closed_at FROM open_alert WHERE destination = ? ORDER BY at, key`);
  const del = db.prepare(`DELETE FROM open_alert WHERE destination = ? AND key = ?`);
  const purge = db.prepare(`DELETE FROM open_alert WHERE destination = ? AND state = 'closed' AND closed_at < ?`);
  const dropTx = db.transaction((keys: readonly string[]) => {
    for (const k of keys) del.run(destination, k);
  });
  type Row = { key: string; rule_id: string; state: 'open' | 'closed'; at: number; payload: string; closed_at: number | null };
  let closed = false;
  return {
    fired(key, ruleId, at, alert) {
      upsert.run({ destination, key, ruleId, state: 'open', at, payload: JSON.stringify(alert), closedAt: null });
    },
    resolved(key, ruleId, at, alert, now) {
      upsert.run({ destination, key, ruleId, state: 'closed', at, payload: JSON.stringify(alert), closedAt: now });
    },
    entries: () =>
      (select.all(destination) as Row[]).map((r) => ({ key: r.key, ruleId: r.rule_id, state: r.state, at: r.at, alert: JSON.parse(r.payload) as AmAlert, closedAt: r.closed_at ?? undefined })),
    drop: (keys) => void dropTx(keys),
    purgeClosed: (before) => purge.run(destination, before).changes,
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
