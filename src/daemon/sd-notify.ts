/**
 * systemd readiness (`Type=notify`): the NOTIFY_SOCKET protocol. Node has no
 * AF_UNIX datagram sockets, so the message goes through `systemd-notify`
 * (the unit sets `NotifyAccess=all` so a child may speak for us). Without
 * `--no-block`: systemd-notify then waits (a barrier) until the manager has
 * read the message, which it otherwise may not attribute to the service once
 * the short-lived child has exited (systemd-notify(1)). Messages go out one
 * at a time, in order, so RELOADING=1 can never overtake the READY=1 after it.
 * Without NOTIFY_SOCKET (not under systemd) every call is a no-op.
 *
 * The watchdog (`WatchdogSec=` in the unit): systemd sets WATCHDOG_USEC, and
 * startWatchdog pings (`WATCHDOG=1`) at half that period from a timer on the
 * event loop, so a loop that stays blocked (a runaway regex, a tight loop)
 * sends nothing and systemd restarts the service once the period is over.
 */
import { execFile } from 'node:child_process';

export interface ServiceNotifier {
  ready(status: string): Promise<void>;
  status(status: string): Promise<void>;
  reloading(): Promise<void>;
  stopping(): Promise<void>;
  /** `WATCHDOG=1`; while one is still waiting to go out, another call joins it. */
  watchdog(): Promise<void>;
}

export function systemdNotifier(env: Readonly<Record<string, string | undefined>>, onError: (err: Error) => void = () => {}): ServiceNotifier {
  const socket = env['NOTIFY_SOCKET'];
  let queue: Promise<void> = Promise.resolve();
  const sendNow = (args: string[]): Promise<void> =>
    new Promise((resolve) => {
      execFile('systemd-notify', [`--pid=${process.pid}`, ...args], { env: { ...process.env, NOTIFY_SOCKET: socket }, timeout: 10_000 }, (err) => {
        if (err) onError(err);
        resolve();
      });
    });
  const send = (args: string[]): Promise<void> => {
    if (!socket) return Promise.resolve();
    queue = queue.then(() => sendNow(args));
    return queue;
  };
  let pendingPing: Promise<void> | undefined;
  return {
    watchdog: () =>
      (pendingPing ??= send(['WATCHDOG=1']).finally(() => {
        pendingPing = undefined;
      })),
    ready: (status) => send(['--ready', `--status=${status}`]),
    status: (status) => send([`--status=${status}`]),
    reloading: () => send(['RELOADING=1']),
    stopping: () => send(['STOPPING=1']),
  };
}

export interface WatchdogTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The ping interval systemd asks for (half of WATCHDOG_USEC), or undefined when there is no watchdog for this process. */
export function watchdogIntervalMs(env: Readonly<Record<string, string | undefined>>, pid: number = process.pid): number | undefined {
  const usec = env['WATCHDOG_USEC'];
  if (usec === undefined || !/^\d+$/.test(usec) || Number(usec) === 0) return undefined;
  // sd_watchdog_enabled(3): a WATCHDOG_PID that is not ours means the watchdog is another process's.
  const owner = env['WATCHDOG_PID'];
  if (owner !== undefined && owner !== '' && Number(owner) !== pid) return undefined;
  return Math.max(1, Math.floor(Number(usec) / 1000 / 2));
}

/**
 * Pings systemd's watchdog now and then every half period, from a timer on
 * the event loop (never a thread or a child of its own: a blocked loop must
 * stop the pings). Returns the function that stops it, or undefined when
 * WATCHDOG_USEC is unset (nothing is ever sent then). The timer does not keep
 * the process alive.
 */
export function startWatchdog(
  env: Readonly<Record<string, string | undefined>>,
  ping: () => void,
  timers: WatchdogTimers = { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
  pid: number = process.pid,
): { intervalMs: number; stop: () => void } | undefined {
  const intervalMs = watchdogIntervalMs(env, pid);
  if (intervalMs === undefined) return undefined;
  ping();
  const handle = timers.setInterval(ping, intervalMs);
  (handle as { unref?: () => void } | undefined)?.unref?.();
  return { intervalMs, stop: () => timers.clearInterval(handle) };
}
