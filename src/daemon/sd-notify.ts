/**
 * systemd readiness (`Type=notify`): the NOTIFY_SOCKET protocol. Node has no
 * AF_UNIX datagram sockets, so the message goes through `systemd-notify
 * --no-block` (the unit sets `NotifyAccess=all` so a child may speak for us).
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
  const send = (args: string[]): Promise<void> =>
    new Promise((resolve) => {
      if (!socket) return resolve();
      execFile('systemd-notify', ['--no-block', `--pid=${process.pid}`, ...args], { env: { ...process.env, NOTIFY_SOCKET: socket }, timeout: 5_000 }, (err) => {
        if (err) onError(err);
        resolve();
      });
    });
  return {
    ready: (status) => send(['--ready', `--status=${status}`]),
    status: (status) => send([`--status=${status}`]),
    reloading: () => send(['RELOADING=1']),
    stopping: () => send(['STOPPING=1']),
  };
}
