/**
 * systemd readiness (`Type=notify`): the NOTIFY_SOCKET protocol. Node has no
 * AF_UNIX datagram sockets, so the message goes through `systemd-notify`
 * (the unit sets `NotifyAccess=all` so a child may speak for us). Without
 * `--no-block`: systemd-notify then waits (a barrier) until the manager has
 * read the message, which it otherwise may not attribute to the service once
 * the short-lived child has exited (systemd-notify(1)). Messages go out one
 * at a time, in order, so RELOADING=1 can never overtake the READY=1 after it.
 * Without NOTIFY_SOCKET (not under systemd) every call is a no-op.
 */
import { execFile } from 'node:child_process';

export interface ServiceNotifier {
  ready(status: string): Promise<void>;
  status(status: string): Promise<void>;
  reloading(): Promise<void>;
  stopping(): Promise<void>;
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
  return {
    ready: (status) => send(['--ready', `--status=${status}`]),
    status: (status) => send([`--status=${status}`]),
    reloading: () => send(['RELOADING=1']),
    stopping: () => send(['STOPPING=1']),
  };
}
