/**
 * The clock and timers as a port: code that reads the time or arms a timer
 * takes a `Timers` from its caller instead of reaching for `Date.now` and the
 * global `setTimeout`, so a test can step time (test/kit/stepped-clock.ts)
 * instead of sleeping. A leaf module: every stage may import it.
 *
 * Not here: `setImmediate` (what batches work "in this turn" is ordering,
 * not time) and timers of libraries we do not own.
 */

/** An armed timer; only `clearTimeout` of the same `Timers` understands it. */
export interface TimerHandle {
  readonly __timer: unique symbol;
}

export interface TimerOptions {
  /** Does not keep the process alive on its own (Node's `unref`). Default false. */
  readonly unref?: boolean | undefined;
}

export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once, `ms` (≥ 0) from now. */
  setTimeout(fn: () => void, ms: number, opts?: TimerOptions): TimerHandle;
  /** Cancels a timer; an undefined, fired or cancelled one is ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves `ms` from now, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal, opts?: TimerOptions): Promise<void>;
}

/** The process's clock and Node's timers. */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout(fn, ms, opts) {
    const t = globalThis.setTimeout(fn, Math.max(0, ms));
    if (opts?.unref) t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle !== undefined) globalThis.clearTimeout(handle as unknown as NodeJS.Timeout);
  },
  sleep(ms, signal, opts) {
    return sleepOn(realTimers, ms, signal, opts);
  },
};

/** `sleep` over any `setTimeout`/`clearTimeout` pair (a stepped clock reuses it). */
export function sleepOn(timers: Pick<Timers, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal, opts?: TimerOptions): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      resolve();
    };
    const handle = timers.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      ms,
      opts,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `fn` after `ms`, as a cancel function (polls and budgets keep one). */
export function after(timers: Timers, ms: number, fn: () => void, opts?: TimerOptions): () => void {
  const handle = timers.setTimeout(fn, ms, opts);
  return () => timers.clearTimeout(handle);
}
