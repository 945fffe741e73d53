/**
 * The durable outbox: one row per (alert id, destination) in SQLite (WAL) at
 * `<stateDir>/outbox.sqlite`. Every state transition is one transaction
 * (for a batch of rows: `enqueueMany`, `lease` with a limit, `ack` of several keys):
 *
 *   enqueue   → pending                       (INSERT OR IGNORE: idempotent per alert id + destination;
 *                                              enqueued at the alert's decision time when it waited in memory)
 *   lease     pending, due, unleased → leased  (lease_until = now + leaseMs, attempts + 1;
 *                                              with a maxAge cut, rows enqueued before it → dead instead)
 *   ack       leased → done                    (payload dropped; the row stays as a tombstone)
 *   retry     leased → pending, due later      (lease cleared, last error kept)
 *   dead      → dead                           (permanent failure or too old; tombstone)
 *   trim      oldest pending beyond maxQueued → dead  (per destination, after an enqueue; rows in flight stay)
 *   purge     tombstones older than the tombstone age are deleted
 *
 * Crash recovery is lease expiry: a row leased by a process that died
 * becomes leasable again once `lease_until` passes, so a kill at any moment
 * loses nothing and re-sends at most what was in flight (at-least-once).
 */
import { openStateDb } from './sqlite-file.js';
import type { Alert } from '../model/alert.js';

export interface OutboxRow {
  readonly alertId: string;
  readonly destination: string;
  readonly alert: Alert;
  /** Epoch ms when it was first enqueued (age for `maxAge`). */
  readonly createdAt: number;
  /** Including the attempt this lease is for. */
  readonly attempts: number;
}

export interface EnqueueItem {
  readonly alert: Alert;
  readonly destinations: readonly string[];
  readonly at?: number | undefined;
}

export interface OutboxKey {
  readonly alertId: string;
  readonly destination: string;
}

export interface OutboxStore {
  /** Records one row per destination in one transaction; returns the destinations newly recorded (others were known). */
  enqueue(alert: Alert, destinations: readonly string[], now: number): string[];
  /**
   * `enqueue` for several alerts in ONE transaction (one fsync): all of them are on disk when it returns, or none.
   * An item's `at` (when it was decided, if earlier than `now`: it waited in memory) is its enqueue time.
   */
  enqueueMany(items: readonly EnqueueItem[], now: number): string[][];
  /** Leases up to `limit` due rows of one destination, oldest first. */
  lease(destination: string, now: number, limit: number, leaseMs: number): OutboxRow[];
  /**
   * `lease`, except that due rows enqueued before `expireBefore` (past maxAge) are marked dead in the
   * same transaction instead of leased, and returned as `expired` (they count towards `limit`).
   */
  leaseUnexpired(destination: string, now: number, limit: number, leaseMs: number, expireBefore: number): { rows: OutboxRow[]; expired: OutboxKey[] };
  ack(keys: readonly OutboxKey[], now: number): void;
  retryLater(keys: readonly OutboxKey[], dueAt: number, error: string): void;
  dead(keys: readonly OutboxKey[], now: number, error: string): void;
  /**
   * Keeps at most `keep` pending rows of a destination: the oldest unleased ones beyond are marked dead
   * (enqueue time, then alert id); returns them.
   */
  trim(destination: string, keep: number, now: number): OutboxKey[];
  /** Marks pending, unleased rows enqueued before `before` as dead; returns them. */
  expire(before: number, now: number): OutboxKey[];
  purge(tombstonesBefore: number): number;
  /** Pending rows of a destination that are due and unleased. */
  dueCount(destination: string, now: number): number;
  /** Earliest time something pending becomes leasable (due or lease expiry), or undefined. */
  nextWake(destinations: readonly string[]): number | undefined;
  /** Pending rows (leased or not). */
  depth(): number;
  close(): void;
}

/**
 * What a failed outbox write means, for logs and `/readyz`: the kind of
 * failure and its code (`disk full (SQLITE_FULL)`), never the error's
 * message (a file system error's names the path).
 */
const STORE_ERRORS: readonly (readonly [RegExp, string])[] = [
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)/, 'disk full'],
  [/^(SQLITE_READONLY|EROFS)/, 'read-only'],
  [/^(SQLITE_CANTOPEN|SQLITE_PERM|SQLITE_AUTH|EACCES|EPERM)/, 'cannot open or no permission'],
  [/^(SQLITE_IOERR|EIO)/, 'I/O error'],
  [/^(SQLITE_BUSY|SQLITE_LOCKED)/, 'locked by another process'],
  [/^(SQLITE_CORRUPT|SQLITE_NOTADB)/, 'database corrupt'],
];

export function storeErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return `${(err as Error | null)?.name ?? 'error'} (not a storage error)`;
  const kind = STORE_ERRORS.find(([re]) => re.test(code))?.[1] ?? 'write failed';
  return `${kind} (${code})`;
}

export function openOutbox(stateDir: string): OutboxStore {
  // The outbox holds log lines: owner-only, like the engine state.
  // Enqueues commit with FULL: a transaction that returned is on disk (enqueue promises durability
  // before it returns, even across a power loss). The other transitions (lease, ack, retry, dead,
  // expire, purge) commit with NORMAL: in WAL mode that is still durable across a process crash
  // (kill -9: the WAL pages are in the OS), and the next FULL commit or checkpoint syncs them too
  // (the WAL is append-only). Only an OS crash or power loss can lose the last few of them, and
  // losing one only means a re-send (an ack), an earlier retry (a lease, a retry) or a re-decided
  // drop: at-least-once holds. See README "Delivery guarantees".
  const db = openStateDb(stateDir, 'outbox.sqlite');
  db.exec(`
    CREATE TABLE IF NOT EXISTS delivery (
      alert_id    TEXT NOT NULL,
      destination TEXT NOT NULL,
      state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
      payload     TEXT NOT NULL,
      created_at  INTEGER NOT NULL,
      due_at      INTEGER NOT NULL,
      lease_until INTEGER,
      attempts    INTEGER NOT NULL DEFAULT 0,
      last_error  TEXT,
      finished_at INTEGER,
      PRIMARY KEY (alert_id, destination)
    ) WITHOUT ROWID;
    -- (destination, state, due_at, created_at) serves lease's ORDER BY due_at, created_at straight from
    -- the index; the older (destination, state, due_at) made every lease sort all due rows (a storm of
    -- n alerts cost O(n²)). Same order, ties by alert id as before.
    CREATE INDEX IF NOT EXISTS delivery_due_created ON delivery (destination, state, due_at, created_at);
    DROP INDEX IF EXISTS delivery_due;
    CREATE INDEX IF NOT EXISTS delivery_finished ON delivery (state, finished_at);
    -- trim (delivery.maxQueued) drops a destination's oldest pending rows straight from this index; without
    -- it every enqueue to a destination over its bound sorted all its pending rows (~50 ms at 10,000).
    CREATE INDEX IF NOT EXISTS delivery_age ON delivery (destination, state, created_at);
  `);

  const insert = db.prepare(`INSERT OR IGNORE INTO delivery (alert_id, destination, state, payload, created_at, due_at) VALUES (?, ?, 'pending', ?, ?, ?)`);
  const selectDue = db.prepare(
    `SELECT alert_id, destination, payload, created_at, attempts FROM delivery
     WHERE destination = ? AND state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
     ORDER BY due_at, created_at LIMIT ?`,
  );
  const takeLease = db.prepare(`UPDATE delivery SET lease_until = ?, attempts = attempts + 1 WHERE alert_id = ? AND destination = ?`);
  const ackOne = db.prepare(`UPDATE delivery SET state = 'done', payload = '', lease_until = NULL, finished_at = ? WHERE alert_id = ? AND destination = ? AND state = 'pending'`);
  const retryOne = db.prepare(`UPDATE delivery SET lease_until = NULL, due_at = ?, last_error = ? WHERE alert_id = ? AND destination = ? AND state = 'pending'`);
  const deadOne = db.prepare(`UPDATE delivery SET state = 'dead', payload = '', lease_until = NULL, last_error = ?, finished_at = ? WHERE alert_id = ? AND destination = ? AND state = 'pending'`);
  const selectExpired = db.prepare(`SELECT alert_id, destination FROM delivery WHERE state = 'pending' AND created_at < ? AND (lease_until IS NULL OR lease_until <= ?)`);
  const purgeStmt = db.prepare(`DELETE FROM delivery WHERE state IN ('done', 'dead') AND finished_at < ?`);
  const dueCountStmt = db.prepare(`SELECT count(*) AS n FROM delivery WHERE destination = ? AND state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)`);
  const nextWakeStmt = db.prepare(`SELECT min(max(due_at, coalesce(lease_until, 0))) AS t FROM delivery WHERE destination = ? AND state = 'pending'`);
  const depthStmt = db.prepare(`SELECT count(*) AS n FROM delivery WHERE state = 'pending'`);
  const pendingOfStmt = db.prepare(`SELECT count(*) AS n FROM delivery WHERE destination = ? AND state = 'pending'`);
  const selectOldest = db.prepare(
    `SELECT alert_id, destination FROM delivery WHERE destination = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ?)
     ORDER BY created_at, alert_id LIMIT ?`,
  );

  type DueRow = { alert_id: string; destination: string; payload: string; created_at: number; attempts: number };

  const syncFull = db.prepare('PRAGMA synchronous = FULL');
  const syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
  const insertRows = (alert: Alert, destinations: readonly string[], now: number): string[] => {
    const payload = JSON.stringify(alert);
    const added: string[] = [];
    for (const d of destinations) if (insert.run(alert.id, d, payload, now, now).changes > 0) added.push(d);
    return added;
  };
  const enqueueTx = db.transaction(insertRows);
  const enqueueManyTx = db.transaction((items: readonly EnqueueItem[], now: number) => items.map((it) => insertRows(it.alert, it.destinations, it.at ?? now)));
  /** Runs `fn` (one transaction) with synchronous = FULL: on disk when it returns. */
  const durably = <T>(fn: () => T): T => {
    syncFull.run();
    try {
      return fn();
    } finally {
      syncNormal.run();
    }
  };
  const leaseTx = db.transaction((destination: string, now: number, limit: number, leaseMs: number, expireBefore: number) => {
    const rows: OutboxRow[] = [];
    const expired: OutboxKey[] = [];
    for (const r of selectDue.all(destination, now, now, limit) as DueRow[]) {
      if (r.created_at < expireBefore) {
        deadOne.run('older than maxAge', now, r.alert_id, r.destination);
        expired.push({ alertId: r.alert_id, destination: r.destination });
        continue;
      }
      takeLease.run(now + leaseMs, r.alert_id, r.destination);
      rows.push({ alertId: r.alert_id, destination: r.destination, alert: JSON.parse(r.payload) as Alert, createdAt: r.created_at, attempts: r.attempts + 1 });
    }
    return { rows, expired };
  });
  const ackTx = db.transaction((keys: readonly OutboxKey[], now: number) => {
    for (const k of keys) ackOne.run(now, k.alertId, k.destination);
  });
  const retryTx = db.transaction((keys: readonly OutboxKey[], dueAt: number, error: string) => {
    for (const k of keys) retryOne.run(dueAt, error, k.alertId, k.destination);
  });
  const deadTx = db.transaction((keys: readonly OutboxKey[], now: number, error: string) => {
    for (const k of keys) deadOne.run(error, now, k.alertId, k.destination);
  });
  const trimTx = db.transaction((destination: string, keep: number, now: number) => {
    const over = (pendingOfStmt.get(destination) as { n: number }).n - keep;
    if (over <= 0) return [];
    const rows = selectOldest.all(destination, now, over) as { alert_id: string; destination: string }[];
    for (const r of rows) deadOne.run('dropped: more than delivery.maxQueued pending', now, r.alert_id, r.destination);
    return rows.map((r) => ({ alertId: r.alert_id, destination: r.destination }));
  });
  const expireTx = db.transaction((before: number, now: number) => {
    const rows = selectExpired.all(before, now) as { alert_id: string; destination: string }[];
    for (const r of rows) deadOne.run('older than maxAge', now, r.alert_id, r.destination);
    return rows.map((r) => ({ alertId: r.alert_id, destination: r.destination }));
  });

  let closed = false;
  return {
    enqueue: (alert, destinations, now) => durably(() => enqueueTx(alert, destinations, now)),
    enqueueMany: (items, now) => (items.length === 0 ? [] : durably(() => enqueueManyTx(items, now))),
    lease: (destination, now, limit, leaseMs) => leaseTx(destination, now, limit, leaseMs, -Infinity).rows,
    leaseUnexpired: (destination, now, limit, leaseMs, expireBefore) => leaseTx(destination, now, limit, leaseMs, expireBefore),
    ack: (keys, now) => void ackTx(keys, now),
    retryLater: (keys, dueAt, error) => void retryTx(keys, dueAt, error),
    dead: (keys, now, error) => void deadTx(keys, now, error),
    trim: (destination, keep, now) => trimTx(destination, keep, now),
    expire: (before, now) => expireTx(before, now),
    purge: (before) => purgeStmt.run(before).changes,
    dueCount: (destination, now) => (dueCountStmt.get(destination, now, now) as { n: number }).n,
    nextWake(destinations) {
      let t: number | undefined;
      for (const d of destinations) {
        const r = (nextWakeStmt.get(d) as { t: number | null }).t;
        if (r !== null && (t === undefined || r < t)) t = r;
      }
      return t;
    },
    depth: () => (depthStmt.get() as { n: number }).n,
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
