/**
 * The real outbox store with writes that fail on demand, as better-sqlite3
 * fails them on a full disk (`SqliteError: database or disk is full`, code
 * SQLITE_FULL): for the tests that cannot mount a small filesystem, and for
 * failures a real full disk produces only by chance (a lease or an ack).
 */
import { openOutbox, type OutboxStore } from '../../src/notify/outbox.js';

export type StoreWrite = 'enqueueMany' | 'lease' | 'ack' | 'retryLater' | 'dead' | 'trim' | 'expire' | 'purge';

export function diskFull(): Error {
  return Object.assign(new Error('database or disk is full'), { name: 'SqliteError', code: 'SQLITE_FULL' });
}

export interface FailingStore {
  /** Writes that throw SQLITE_FULL now (edit freely). */
  readonly failing: Set<StoreWrite>;
  /** Calls to each write that threw. */
  readonly failures: Map<StoreWrite, number>;
  /** For `OutboxSinkOptions.openStore`. */
  readonly open: (stateDir: string) => OutboxStore;
  /** The real store, once opened. */
  inner(): OutboxStore;
}

export function failingStore(): FailingStore {
  const failing = new Set<StoreWrite>();
  const failures = new Map<StoreWrite, number>();
  let inner: OutboxStore | undefined;
  const guard = <F extends (...args: never[]) => unknown>(name: StoreWrite, fn: F): F =>
    ((...args: Parameters<F>) => {
      if (failing.has(name)) {
        failures.set(name, (failures.get(name) ?? 0) + 1);
        throw diskFull();
      }
      return fn(...args);
    }) as F;
  return {
    failing,
    failures,
    inner: () => inner!,
    open(stateDir) {
      const s = openOutbox(stateDir);
      inner = s;
      return {
        ...s,
        enqueue: (alert, destinations, now) => guard('enqueueMany', s.enqueueMany)([{ alert, destinations }], now)[0]!,
        enqueueMany: guard('enqueueMany', s.enqueueMany),
        lease: guard('lease', s.lease),
        leaseUnexpired: guard('lease', s.leaseUnexpired),
        ack: guard('ack', s.ack),
        retryLater: guard('retryLater', s.retryLater),
        dead: guard('dead', s.dead),
        trim: guard('trim', s.trim),
        expire: guard('expire', s.expire),
        purge: guard('purge', s.purge),
      };
    },
  };
}
